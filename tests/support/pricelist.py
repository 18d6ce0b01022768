"""Price List API doubles: products in the shape get_products returns, the requests the
fetch makes, and a botocore-Stubber pricing client to answer them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import boto3
from botocore.stub import Stubber

#: product documents of each known shape, as the Price List API returned them
RECORDED = Path(__file__).resolve().parent.parent / "data" / "pricelist"


def product(region: str, component: str, itype: str, usd: str, unit: str = "Hrs") -> str:
    """A Price List API product in the shape get_products returns (a JSON string)."""
    sku = f"SKU{abs(hash((region, component, itype))) % 10**8:08d}"
    return json.dumps(
        {
            "product": {
                "productFamily": "ML Instance",
                "attributes": {
                    "regionCode": region,
                    "servicecode": "AmazonSageMaker",
                    "location": "US East (N. Virginia)",
                    "locationType": "AWS Region",
                    "instanceName": itype,
                    "component": component,
                    "computeType": "Standard Instances",
                    "vCpu": "16",  # deliberately wrong: specs must not come from here
                    "memory": "64 GiB",
                    "usagetype": f"USE1-{component}:{itype}",
                    "operation": "RunInstance",
                    "platoinstancetype": component,
                    "platoinstancename": itype,
                },
                "sku": sku,
            },
            "serviceCode": "AmazonSageMaker",
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": unit,
                                "endRange": "Inf",
                                "description": f"${usd} per {component} {itype} hour",
                                "appliesTo": [],
                                "rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
                                "beginRange": "0",
                                "pricePerUnit": {"USD": usd},
                            }
                        },
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },
            "version": "20261101000000",
            "publicationDate": "2026-11-01T00:00:00Z",
        }
    )


def expected_params(
    region: str, component: str, token: Optional[str] = None, field: str = "platoinstancetype"
) -> dict:
    """One get_products call: the region and one of the two kind attributes."""
    params = {
        "ServiceCode": "AmazonSageMaker",
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
            {"Type": "TERM_MATCH", "Field": field, "Value": component},
        ],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    if token:
        params["NextToken"] = token
    return params


def add_price_list(stub: Stubber, region: str, component: str, products: list[str]) -> None:
    """One fetch: the platoinstancetype call answers ``products``, the component call the
    same products again (a product names its kind both ways)."""
    for field in ("platoinstancetype", "component"):
        stub.add_response(
            "get_products",
            {"PriceList": products, "FormatVersion": "aws_v1"},
            expected_params(region, component, field=field),
        )


def stubbed_pricing_client() -> tuple[Any, Stubber]:
    """A real pricing client and its Stubber (no credentials needed, no request sent)."""
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return client, Stubber(client)


def recorded(name: str) -> str:
    """A recorded product (``tests/data/pricelist/<name>.json``) as get_products returns it:
    one JSON string per product."""
    return (RECORDED / f"{name}.json").read_text()


def page(names: list[str], token: Optional[str] = None) -> dict[str, Any]:
    """One get_products answer with the recorded products ``names``."""
    out: dict[str, Any] = {"PriceList": [recorded(n) for n in names], "FormatVersion": "aws_v1"}
    if token:
        out["NextToken"] = token
    return out


def calls(region: str, component: str, field: str, token: Optional[str] = None) -> dict[str, Any]:
    """The exact parameters of one get_products call, by kind attribute."""
    return expected_params(region, component, token, field=field)
