"""The AWS calls of SageMaker training jobs started from the server (issue 17): the default
bucket, uploads, CreateTrainingJob / DescribeTrainingJob / StopTrainingJob and the outputs'
download. boto3 only here; every method blocks and is run in a worker thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from botocore.exceptions import ClientError

from .clients import ClientFactory
from .errors import AwsError, error_code
from .sagemaker import call

S3_NOT_FOUND = {"404", "NoSuchBucket", "NotFound"}


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b/`` -> (``bucket``, ``a/b``)."""
    if not uri.startswith("s3://") or len(uri) <= 5:
        raise ValueError(f"not an S3 URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key.strip("/")


class TrainingJobs:
    """Training-job calls in one region, with clients from ``factory(service)``."""

    def __init__(self, factory: ClientFactory, region: str) -> None:
        self._factory = factory
        self.region = region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._factory(service)
            return self._clients[service]

    @property
    def sm(self) -> Any:
        return self.client("sagemaker")

    @property
    def s3(self) -> Any:
        return self.client("s3")

    def account(self) -> str:
        """The caller's account (for the default bucket's name)."""
        return self.client("sts").get_caller_identity()["Account"]

    def ensure_bucket(self, bucket: str) -> bool:
        """Create ``bucket`` in this region if it does not exist, as the SageMaker SDK does
        for its default bucket. True when it was created."""
        try:
            self.s3.head_bucket(Bucket=bucket)
            return False
        except ClientError as e:
            if error_code(e) not in S3_NOT_FOUND:
                raise
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.s3.create_bucket(**kwargs)
        return True

    def upload(self, local: Path, bucket: str, key: str) -> None:
        self.s3.upload_file(str(local), bucket, key)

    def create(self, request: dict[str, Any]) -> str:
        """CreateTrainingJob; returns the job's ARN."""
        return call(self.sm.create_training_job, **request)["TrainingJobArn"]

    def describe(self, name: str) -> Optional[dict[str, Any]]:
        """DescribeTrainingJob (None when SageMaker no longer knows the job)."""
        try:
            return call(self.sm.describe_training_job, TrainingJobName=name)
        except ClientError as e:
            message = e.response.get("Error", {}).get("Message", "")
            if error_code(e) == "ValidationException" and "not find" in message.lower():
                return None
            raise

    def recent(self, since: datetime, limit: int) -> list[dict[str, Any]]:
        """ListTrainingJobs: the newest ``limit`` jobs created after ``since`` (one page)."""
        answer = call(
            self.sm.list_training_jobs,
            CreationTimeAfter=since,
            SortBy="CreationTime",
            SortOrder="Descending",
            MaxResults=limit,
        )
        return list(answer.get("TrainingJobSummaries") or [])

    def tags(self, arn: str) -> dict[str, str]:
        """ListTags of one resource, as key -> value."""
        out: dict[str, str] = {}
        for page in self.sm.get_paginator("list_tags").paginate(ResourceArn=arn):
            out.update({t["Key"]: t["Value"] for t in page.get("Tags") or []})
        return out

    def stop(self, name: str) -> None:
        call(self.sm.stop_training_job, TrainingJobName=name)

    def objects(self, bucket: str, prefix: str) -> Iterator[str]:
        """The keys under ``prefix``."""
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents") or []:
                yield item["Key"]

    def download(self, bucket: str, key: str, local: Path) -> None:
        try:
            self.s3.download_file(bucket, key, str(local))
        except ClientError as e:
            if error_code(e) in S3_NOT_FOUND:
                raise AwsError("job_output_missing", f"s3://{bucket}/{key} is not there") from e
            raise

    def close(self) -> None:
        with self._lock:
            for c in self._clients.values():
                try:
                    c.close()
                except Exception:  # closing is best effort
                    pass
            self._clients.clear()
