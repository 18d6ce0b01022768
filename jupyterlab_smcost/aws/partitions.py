"""AWS partitions: which one a region is in, its ARN prefix, the region its Price List API is
served from and the currency it bills in.

The AWS China regions (Beijing ``cn-north-1``, Ningxia ``cn-northwest-1``) are the partition
``aws-cn``: ARNs ``arn:aws-cn:...``, endpoints under ``amazonaws.com.cn``, separate accounts,
prices in CNY. The Price List query API is served from ``us-east-1``, ``eu-central-1`` and
``ap-south-1`` for the ``aws`` partition and from ``cn-northwest-1`` only for China (AWS Price
List API documentation, "Endpoints"). The partition of a region is botocore's own answer (its
endpoint data's region patterns), never a copied list.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

AWS = "aws"
AWS_CN = "aws-cn"

#: the regions each partition's Price List query API is served from, the first the one used
PRICE_LIST_API_REGIONS = {
    AWS: ("us-east-1", "eu-central-1", "ap-south-1"),
    AWS_CN: ("cn-northwest-1",),
}
#: what each partition bills in (a partition not listed: unknown, never assumed USD)
CURRENCIES = {AWS: "USD", AWS_CN: "CNY"}

_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
    r"(?P<account>[0-9]*):(?P<resource>.+)$"
)


@functools.lru_cache(maxsize=64)
def partition_of(region: Optional[str]) -> str:
    """``cn-north-1`` -> ``aws-cn``, ``eu-west-1`` -> ``aws`` (botocore's endpoint data);
    ``aws`` for no region or one botocore cannot place."""
    if not region:
        return AWS
    import botocore.session

    try:
        return botocore.session.get_session().get_partition_for_region(region) or AWS
    except Exception:  # UnknownRegionError (botocore raises it for malformed names)
        return AWS_CN if region.startswith("cn-") else AWS


def is_china(region: Optional[str]) -> bool:
    """Whether ``region`` is one of the AWS China regions."""
    return partition_of(region) == AWS_CN


def price_list_api_region(region: Optional[str]) -> str:
    """The region whose Price List API answers for ``region``'s prices: ``cn-northwest-1``
    for China, ``us-east-1`` otherwise (credentials of one partition do not work in the
    other)."""
    return PRICE_LIST_API_REGIONS.get(partition_of(region), PRICE_LIST_API_REGIONS[AWS])[0]


def currency_of(region: Optional[str]) -> Optional[str]:
    """The currency ``region`` is billed in: ``USD``, ``CNY`` for China; None if unknown."""
    return CURRENCIES.get(partition_of(region))


@dataclass(frozen=True)
class Arn:
    """One ARN's parts."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(arn: Optional[str]) -> Optional[Arn]:
    """``arn:aws-cn:sagemaker:cn-north-1:123:space/d-1/s`` -> its parts; None if not an ARN."""
    if not isinstance(arn, str):
        return None
    m = _ARN_RE.match(arn)
    return Arn(**m.groupdict()) if m else None


def build_arn(service: str, region: str, account: str, resource: str) -> str:
    """The ARN of ``resource`` in ``region``'s partition (``arn:aws-cn:`` in China)."""
    return str(Arn(partition_of(region), service, region, account, resource))
