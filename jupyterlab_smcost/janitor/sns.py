"""One SNS message per report: the body kept under SNS's size limit, and the publish."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..aws.errors import aws_errors

#: SNS refuses a message over 256 KiB
SNS_MAX_BYTES = 256 * 1024


def bounded_body(head: str, blocks: Sequence[str], tail: str) -> str:
    """``head``, as many whole ``blocks`` as fit under SNS's limit ("... and N more" for the
    rest), ``tail``."""
    body = head
    budget = SNS_MAX_BYTES - len(head.encode()) - len(tail.encode()) - 100
    for i, block in enumerate(blocks):
        size = len(block.encode())
        if size > budget:
            body += f"... and {len(blocks) - i} more\n"
            break
        body += block
        budget -= size
    return body + tail


def publish(sns: Any, topic_arn: str, subject: str, body: str) -> str:
    """Publish; an AWS refusal becomes a sentence naming the topic. The message id."""
    with aws_errors(f"publish to SNS topic {topic_arn}"):
        return sns.publish(TopicArn=topic_arn, Subject=subject, Message=body)["MessageId"]
