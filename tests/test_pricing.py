"""Price book: bundled snapshot, estimates, unknown, and the live Price List path (Stubber)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from jupyterlab_smcost.pricing import (
    LivePriceCache,
    PriceBook,
    load_bundled,
    parse_price_list_item,
    size_units,
)

ROOT = Path(__file__).resolve().parent.parent


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


def expected_params(region: str, component: str, token: str | None = None) -> dict:
    params = {
        "ServiceCode": "AmazonSageMaker",
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
            {"Type": "TERM_MATCH", "Field": "component", "Value": component},
        ],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    if token:
        params["NextToken"] = token
    return params


@pytest.fixture
def book() -> PriceBook:
    return PriceBook()


def test_bundled_price_carries_source_and_date(book: PriceBook) -> None:
    p = book.price("us-east-1", "Studio-JupyterLab", "ml.m5.xlarge")
    assert (p.usd_per_hour, p.source, p.as_of) == (0.23, "bundled", "2026-09-24")
    assert "price list" in p.detail.lower()
    s = book.specs("ml.m5.xlarge")
    assert (s.vcpu, s.memory_gib, s.gpu_count) == (4, 16.0, 0)


def test_gpu_specs_come_from_the_bundled_table(book: PriceBook) -> None:
    s = book.specs("ml.g6.xlarge")  # the Price List API says 16 vCPU: wrong
    assert (s.vcpu, s.gpu_count, s.gpu_model, s.gpu_memory_gib) == (4, 1, "NVIDIA L4", 24.0)


def test_estimate_from_another_component_is_labelled(book: PriceBook) -> None:
    # us-east-1 has no Studio-Notebook rows; Studio-JupyterLab/Notebook exist for ml.t3.medium
    p = book.price("us-east-1", "Studio-Notebook", "ml.t3.medium")
    assert p.source == "estimated"
    assert p.usd_per_hour == 0.05
    assert "estimate" in p.detail and "Studio-Notebook" in p.detail


def test_estimate_linear_in_size_from_nearest_sibling(book: PriceBook) -> None:
    p = book.price("us-west-2", "Studio-JupyterLab", "ml.c5.4xlarge")
    assert p.source == "estimated"
    assert p.usd_per_hour == pytest.approx(0.816)  # 2 x ml.c5.2xlarge at 0.408
    assert "ml.c5.2xlarge" in p.detail


def test_unknown_when_nothing_to_go_on(book: PriceBook) -> None:
    p = book.price("ap-south-1", "Notebook", "ml.p3.2xlarge")
    assert (p.usd_per_hour, p.source) == (None, "unknown")
    assert book.price("us-east-1", "Notebook", "not-a-type").source == "unknown"


def test_rows_with_unstated_region_give_no_price(book: PriceBook) -> None:
    # ml.p3.8xlarge appears only in sources that state no region: specs yes, price no
    assert book.specs("ml.p3.8xlarge").gpu_count == 4
    assert book.price("us-east-1", "Studio-JupyterLab", "ml.p3.8xlarge").source != "bundled"


def test_size_units() -> None:
    assert size_units("ml.m5.large") == 1
    assert size_units("ml.m5.xlarge") == 2
    assert size_units("ml.m5.12xlarge") == 24
    assert size_units("ml.t3.medium") == 0.5
    assert size_units("weird") is None


def test_snapshot_is_what_the_build_script_makes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_snapshot", ROOT / "scripts" / "build_price_snapshot.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.build(mod.DEFAULT_CSV) == load_bundled()


def test_parse_ignores_non_hourly_and_zero() -> None:
    assert (
        parse_price_list_item(product("us-east-1", "Notebook", "ml.t3.medium", "0.05"))[3] == 0.05
    )
    assert (
        parse_price_list_item(product("us-east-1", "Notebook", "ml.t3.medium", "0.1", "GB-Mo"))
        is None
    )
    assert parse_price_list_item(product("us-east-1", "Notebook", "ml.t3.medium", "0.0")) is None


def _stubbed_client():
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return client, Stubber(client)


def test_live_fetch_paginates_caches_and_wins_over_bundled(tmp_path: Path) -> None:
    client, stub = _stubbed_client()
    stub.add_response(
        "get_products",
        {
            "PriceList": [
                product("us-east-1", "Studio-JupyterLab", "ml.m5.xlarge", "0.2400000000"),
                product("us-east-1", "Studio-JupyterLab", "ml.t3.medium", "0.0500000000"),
            ],
            "FormatVersion": "aws_v1",
            "NextToken": "page2",
        },
        expected_params("us-east-1", "Studio-JupyterLab"),
    )
    stub.add_response(
        "get_products",
        {
            "PriceList": [
                product("us-east-1", "Studio-JupyterLab", "ml.g5.xlarge", "1.4100000000"),
                product("us-east-1", "Studio-JupyterLab", "ml.m5.xlarge", "0.1", "GB-Mo"),
            ],
            "FormatVersion": "aws_v1",
        },
        expected_params("us-east-1", "Studio-JupyterLab", "page2"),
    )
    now = [1_000_000.0]
    cache = LivePriceCache(
        tmp_path, ttl_s=3600, client_factory=lambda: client, clock=lambda: now[0]
    )
    book = PriceBook(live=cache)
    with stub:
        cache.refresh("us-east-1", "Studio-JupyterLab")
        stub.assert_no_pending_responses()
        # fresh: a second refresh makes no call (the stub has no responses left)
        cache.refresh("us-east-1", "Studio-JupyterLab")
    p = book.price("us-east-1", "Studio-JupyterLab", "ml.m5.xlarge")
    assert (p.usd_per_hour, p.source, p.as_of) == (0.24, "live", "2026-11-01")
    assert book.specs("ml.m5.xlarge").vcpu == 4
    # the cache survives a new process (new objects reading the same dir)
    cache2 = LivePriceCache(tmp_path, ttl_s=3600, client_factory=lambda: None, clock=lambda: now[0])
    book2 = PriceBook(live=cache2)
    book2.load_live("us-east-1", "Studio-JupyterLab")
    assert book2.price("us-east-1", "Studio-JupyterLab", "ml.g5.xlarge").source == "live"
    assert cache2.is_fresh("us-east-1", "Studio-JupyterLab")
    now[0] += 3601
    assert not cache2.is_fresh("us-east-1", "Studio-JupyterLab")
    assert not list(tmp_path.glob(".prices-*"))  # atomic write left no temp file


def test_live_error_propagates_and_bundled_still_answers(tmp_path: Path) -> None:
    client, stub = _stubbed_client()
    stub.add_client_error("get_products", "AccessDeniedException", "not allowed", 400)
    cache = LivePriceCache(tmp_path, client_factory=lambda: client)
    with stub, pytest.raises(Exception) as info:
        cache.refresh("us-east-1", "Notebook")
    assert "AccessDenied" in str(info.value)
    book = PriceBook(live=cache)
    assert book.price("us-east-1", "Notebook", "ml.t3.medium").source == "bundled"


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    cache = LivePriceCache(tmp_path, client_factory=lambda: None)
    (tmp_path / "prices-us-east-1__Notebook.json").write_text("{not json")
    assert cache.load("us-east-1", "Notebook") is None
    assert PriceBook(live=cache).price("us-east-1", "Notebook", "ml.t3.medium").source == "bundled"
