"""Billed spend from Cost Explorer: the exact GetCostAndUsage requests and their pages per
environment (the space's or the user profile's cost allocation tag), refusals as sentences,
and why a notebook instance or local mode has none (botocore Stubber clients)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from support.sm_stub import REGION, client_error, factory, stubbed

from jupyterlab_smcost.aws.costs import cost_and_usage_request
from jupyterlab_smcost.environments import (
    NotebookInstanceEnvironment,
    StudioClassicEnvironment,
    StudioSpaceEnvironment,
)
from jupyterlab_smcost.errors import SmCostError

SPACE_ARN = f"arn:aws:sagemaker:{REGION}:123456789012:space/d-abc123/alice-space"
PROFILE_ARN = f"arn:aws:sagemaker:{REGION}:123456789012:user-profile/d-abc123/alice"


def ce_day(day: str, amount: str, estimated: bool = False) -> dict[str, Any]:
    end = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    return {
        "TimePeriod": {"Start": day, "End": end},
        "Total": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}},
        "Groups": [],
        "Estimated": estimated,
    }


def stubbed_space(space: str) -> tuple[Any, Any, Any, Any]:
    """Stubbed SageMaker (DescribeSpace answered once) and Cost Explorer clients."""
    sm, sm_stub = stubbed("sagemaker")
    ce, ce_stub = stubbed("ce", "us-east-1")
    sm_stub.add_response(
        "describe_space",
        {"DomainId": "d-abc123", "SpaceArn": SPACE_ARN, "SpaceName": space},
        {"DomainId": "d-abc123", "SpaceName": space},
    )
    return sm, sm_stub, ce, ce_stub


def test_billed_spend_of_a_space_exact_requests_and_pages() -> None:
    sm, sm_stub, ce, ce_stub = stubbed_space("alice-space")
    start, end = date(2026, 10, 28), date(2026, 11, 27)
    want = {
        "TimePeriod": {"Start": "2026-10-28", "End": "2026-11-27"},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
        "Filter": {
            "Tags": {
                "Key": "sagemaker:space-arn",
                "Values": [SPACE_ARN],
                "MatchOptions": ["EQUALS"],
            }
        },
    }
    assert cost_and_usage_request("sagemaker:space-arn", SPACE_ARN, start, end) == want
    ce_stub.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": [ce_day("2026-10-28", "1.5")], "NextPageToken": "p2"},
        want,
    )
    ce_stub.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": [ce_day("2026-11-26", "0.25", estimated=True)]},
        {**want, "NextPageToken": "p2"},
    )
    env = StudioSpaceEnvironment(
        REGION, "d-abc123", "alice-space", client_factory=factory(sagemaker=sm, ce=ce)
    )
    got = env.billed_spend(start, end)
    assert (got.tag_key, got.tag_value) == ("sagemaker:space-arn", SPACE_ARN)
    assert [(d.day, d.amount, d.estimated) for d in got.days] == [
        (date(2026, 10, 28), 1.5, False),
        (date(2026, 11, 26), 0.25, True),
    ]
    # the space's ARN is read once
    ce_stub.add_response("get_cost_and_usage", {"ResultsByTime": []}, want)
    assert env.billed_spend(start, end).days == ()
    sm_stub.assert_no_pending_responses()
    ce_stub.assert_no_pending_responses()


def test_billed_spend_of_a_studio_classic_user_uses_the_profile_tag() -> None:
    sm, sm_stub = stubbed("sagemaker")
    ce, ce_stub = stubbed("ce", "us-east-1")
    sm_stub.add_response(
        "describe_user_profile",
        {"DomainId": "d-abc123", "UserProfileArn": PROFILE_ARN, "UserProfileName": "alice"},
        {"DomainId": "d-abc123", "UserProfileName": "alice"},
    )
    start, end = date(2026, 11, 1), date(2026, 11, 27)
    ce_stub.add_response(
        "get_cost_and_usage",
        {"ResultsByTime": [ce_day("2026-11-02", "3.1")]},
        cost_and_usage_request("sagemaker:user-profile-arn", PROFILE_ARN, start, end),
    )
    env = StudioClassicEnvironment(
        REGION, "d-abc123", user_profile="alice", client_factory=factory(sagemaker=sm, ce=ce)
    )
    got = env.billed_spend(start, end)
    assert got.tag_key == "sagemaker:user-profile-arn" and got.days[0].amount == 3.1


def test_cost_explorer_refusals_are_readable() -> None:
    sm, _, ce, ce_stub = stubbed_space("s")
    client_error(ce_stub, "get_cost_and_usage", "AccessDeniedException", "not authorized")
    env = StudioSpaceEnvironment(
        REGION, "d-abc123", "s", client_factory=factory(sagemaker=sm, ce=ce)
    )
    with pytest.raises(Exception) as info:
        env.billed_spend(date(2026, 11, 1), date(2026, 11, 27))
    assert "GetCostAndUsage" in str(info.value) and "IAM" in str(info.value)


def test_notebook_instances_and_local_mode_say_why_there_is_no_billed_spend() -> None:
    env = NotebookInstanceEnvironment(REGION, "nb", client_factory=factory())
    with pytest.raises(SmCostError) as info:
        env.billed_spend(date(2026, 11, 1), date(2026, 11, 27))
    assert info.value.code == "billed_unavailable" and "cost allocation tag" in info.value.message
