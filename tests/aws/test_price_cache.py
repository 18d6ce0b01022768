"""The live price cache: a file of the wrong shape is no cache, lookups never read the disk,
and the server never reads it on the event loop."""

from __future__ import annotations

import asyncio
import builtins
import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
from support.aws import StubbedClients
from support.moto_server import aws_env, patched_environ
from support.pricelist import add_price_list, product, stubbed_pricing_client
from support.rest import fetch_json

from jupyterlab_smcost.aws.clients import make_client
from jupyterlab_smcost.pricing import LivePriceCache, PriceBook

REGION, COMPONENT = "us-east-1", "Studio-JupyterLab"
CACHE_NAME = f"prices-{REGION}__{COMPONENT}.json"
GOOD_ITEM = {"usd_per_hour": 0.3, "as_of": "2026-11-01"}

#: valid JSON, wrong shape: each one made status, prices or recommendations answer 500
BAD_CACHES: dict[str, str] = {
    "a list": "[]",
    "null": "null",
    "a number": "3",
    "an item that is a string": json.dumps({"fetched_at": 0, "items": {"ml.m5.xlarge": "x"}}),
    "a price that is not a number": json.dumps(
        {"fetched_at": 0, "items": {"ml.m5.xlarge": {"usd_per_hour": "abc", "as_of": None}}}
    ),
    "a price that is a boolean": json.dumps(
        {"fetched_at": 0, "items": {"ml.m5.xlarge": {"usd_per_hour": True}}}
    ),
    "a price of NaN": '{"fetched_at": 0, "items": {"ml.m5.xlarge": {"usd_per_hour": NaN}}}',
    "a negative price": json.dumps(
        {"fetched_at": 0, "items": {"ml.m5.xlarge": {"usd_per_hour": -1}}}
    ),
    "a date that is a number": json.dumps(
        {"fetched_at": 0, "items": {"ml.m5.xlarge": {"usd_per_hour": 0.3, "as_of": 20261101}}}
    ),
    "no items": json.dumps({"region": REGION, "component": COMPONENT, "fetched_at": 0}),
    "no fetched_at": json.dumps({"items": {"ml.m5.xlarge": GOOD_ITEM}}),
    "fetched_at that is text": json.dumps(
        {"fetched_at": "yesterday", "items": {"ml.m5.xlarge": GOOD_ITEM}}
    ),
    "an item without a price": json.dumps(
        {"fetched_at": 0, "items": {"ml.m5.xlarge": {"as_of": "2026-11-01"}}}
    ),
    "items one level too deep": json.dumps(
        {"fetched_at": 0, "items": {COMPONENT: {"ml.m5.xlarge": GOOD_ITEM}}}
    ),
    "items as a list": json.dumps(
        {"fetched_at": 0, "items": [{"type": "ml.m5.xlarge", "usd_per_hour": 0.3}]}
    ),
    "another region's table": json.dumps(
        {"region": "eu-west-1", "component": COMPONENT, "fetched_at": 0, "items": {}}
    ),
}


def good_cache(fetched_at: float, usd: float = 0.3) -> str:
    return json.dumps(
        {
            "region": REGION,
            "component": COMPONENT,
            "fetched_at": fetched_at,
            "items": {"ml.m5.xlarge": {"usd_per_hour": usd, "as_of": "2026-11-01"}},
        }
    )


def stubbed_price_list(usd: str) -> tuple[Any, Any]:
    """A pricing client whose one fetch (two get_products calls) answers ml.m5.xlarge at
    ``usd``."""
    client, stub = stubbed_pricing_client()
    add_price_list(stub, REGION, COMPONENT, [product(REGION, COMPONENT, "ml.m5.xlarge", usd)])
    return client, stub


def cache_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Warnings of the price book, the test's own and those of its fixtures' setup (the
    server starts its service, and loads the cache, while the fixtures are set up)."""
    return [
        r
        for r in caplog.get_records("setup") + caplog.records
        if r.name.startswith("jupyterlab_smcost.pricing") and r.levelno >= logging.WARNING
    ]


# ----------------------------------------------------------------------------- unit level


@pytest.mark.parametrize("text", BAD_CACHES.values(), ids=BAD_CACHES.keys())
def test_wrong_shape_cache_is_no_cache_and_warned_once(
    tmp_path: Path, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / CACHE_NAME).write_text(text)
    cache = LivePriceCache(tmp_path, client_factory=lambda: None)
    book = PriceBook(live=cache)
    caplog.set_level(logging.WARNING, "jupyterlab_smcost.pricing")
    for _ in range(3):
        book.load_live(REGION, COMPONENT)
        assert cache.cached(REGION, COMPONENT) is None
        assert not cache.is_fresh(REGION, COMPONENT)
        p = book.price(REGION, COMPONENT, "ml.m5.xlarge")
        assert (p.per_hour, p.source) == (0.23, "bundled")
        assert book.table(REGION, COMPONENT)
        assert book.as_of(REGION, COMPONENT) == "2026-09-24"
    (warning,) = cache_warnings(caplog)
    assert str(tmp_path / CACHE_NAME) in warning.getMessage()


@pytest.mark.parametrize("text", BAD_CACHES.values(), ids=BAD_CACHES.keys())
def test_refresh_repairs_a_wrong_shape_cache(tmp_path: Path, text: str) -> None:
    """The start-up refresh (not forced) fetches over a bad file instead of failing on it."""
    (tmp_path / CACHE_NAME).write_text(text)
    client, stub = stubbed_price_list("0.2400000000")
    cache = LivePriceCache(tmp_path, client_factory=lambda: client)
    with stub:
        cache.refresh(REGION, COMPONENT)
        stub.assert_no_pending_responses()
    again = PriceBook(live=LivePriceCache(tmp_path, client_factory=lambda: None))
    again.load_live(REGION, COMPONENT)
    assert again.price(REGION, COMPONENT, "ml.m5.xlarge").per_hour == 0.24


# ---------------------------------------------------------------------- counting reads


class CacheReads:
    """Every open() of a file under ``root``, with the thread that opened it."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self.threads: list[int] = []

    @property
    def count(self) -> int:
        return len(self.threads)


@pytest.fixture
def count_reads(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``count_reads(root)``: counts files opened for reading under root from then on
    (pathlib's reads go through io.open too)."""
    real_open = io.open
    counters: list[CacheReads] = []

    def counting_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        reading = not set(mode) & set("wax+")
        for c in counters:
            if reading and isinstance(file, str | Path) and str(file).startswith(c.root):
                c.threads.append(threading.get_ident())
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(builtins, "open", counting_open)

    def start(root: Path) -> CacheReads:
        counters.append(CacheReads(root))
        return counters[-1]

    return start


def test_lookups_never_read_the_disk(tmp_path: Path, count_reads: Any) -> None:
    (tmp_path / CACHE_NAME).write_text(good_cache(time.time()))
    reads = count_reads(tmp_path)
    book = PriceBook(live=LivePriceCache(tmp_path, client_factory=lambda: None))
    # nothing loaded yet: lookups give the bundled prices without touching the disk
    assert book.price(REGION, COMPONENT, "ml.m5.xlarge").source == "bundled"
    book.table(REGION, COMPONENT)
    assert reads.count == 0
    book.load_live(REGION, COMPONENT)
    loaded = reads.count
    assert loaded >= 1  # this component's file (and those estimates may use), once each
    for _ in range(5):
        book.load_live(REGION, COMPONENT)
        assert book.price(REGION, COMPONENT, "ml.m5.xlarge").source == "live"
        book.table(REGION, COMPONENT)
        # misses (no file for Studio-Notebook) are remembered too
        book.table(REGION, "Studio-Notebook")
        book.price(REGION, "Studio-Notebook", "ml.m5.12xlarge")
    assert reads.count == loaded


def test_a_refresh_replaces_what_was_loaded(tmp_path: Path) -> None:
    (tmp_path / CACHE_NAME).write_text(good_cache(0, usd=0.3))
    client, stub = stubbed_price_list("0.2500000000")
    cache = LivePriceCache(tmp_path, client_factory=lambda: client)
    book = PriceBook(live=cache)
    book.load_live(REGION, COMPONENT)
    assert book.price(REGION, COMPONENT, "ml.m5.xlarge").per_hour == 0.3
    with stub:
        cache.refresh(REGION, COMPONENT)  # stale: fetched
    assert book.price(REGION, COMPONENT, "ml.m5.xlarge").per_hour == 0.25


# ----------------------------------------------------------------------- a real server


@pytest.fixture
def no_pricing_endpoint() -> Iterator[None]:
    """Dummy credentials; the Price List API at a port nothing listens on (fails at once)."""
    with patched_environ(aws_env("http://127.0.0.1:9", region=REGION)):
        yield


@pytest.fixture
def cache_text() -> Optional[str]:
    """The server's cache file for (us-east-1, Studio-JupyterLab); None: no file."""
    return "[]"


@pytest.fixture
def server_reads(tmp_path: Path, count_reads: Any) -> CacheReads:
    """Reads of the server's price cache, counted from before the server starts."""
    return count_reads(tmp_path / "smcost" / "prices")


@pytest.fixture
def aws_clients() -> StubbedClients:
    """The server's client factory: the package's own (the closed port of
    no_pricing_endpoint) until a test gives it a stubbed Price List client."""
    return StubbedClients(fallback=make_client)


@pytest.fixture
def smcost_config(
    tmp_path: Path,
    cache_text: Optional[str],
    no_pricing_endpoint: None,
    server_reads: CacheReads,
    aws_clients: StubbedClients,
) -> dict[str, Any]:
    cache_dir = tmp_path / "smcost" / "prices"
    cache_dir.mkdir(parents=True)
    if cache_text is not None:
        (cache_dir / CACHE_NAME).write_text(cache_text)
    return {"live_prices": True, "aws_client_factory": aws_clients}


@pytest.mark.parametrize("cache_text", BAD_CACHES.values(), ids=BAD_CACHES.keys())
async def test_server_answers_with_a_wrong_shape_cache(
    jp_fetch: Any, smcost_service: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "jupyterlab_smcost.pricing")
    for route in ("status", "prices", "prices", "recommendations", "status"):
        code, body = await fetch_json(jp_fetch, "smcost", route)
        assert code == 200, body
    code, body = await fetch_json(jp_fetch, "smcost", "prices")
    m5 = next(i for i in body["items"] if i["type"] == "ml.m5.xlarge")
    assert (m5["price"]["per_hour"], m5["price"]["source"]) == (0.23, "bundled")
    warnings = [r for r in cache_warnings(caplog) if CACHE_NAME in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]


async def test_forced_refresh_repairs_the_cache_on_the_server(
    jp_fetch: Any, aws_clients: StubbedClients, tmp_path: Path
) -> None:
    deadline = time.monotonic() + 30
    while True:  # the start-up refresh tries the (closed) endpoint and fails, readably
        code, body = await fetch_json(jp_fetch, "smcost", "prices")
        assert code == 200, body
        if body["live_error"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert "Could not reach the AWS endpoint" in body["live_error"]
    client, stub = stubbed_price_list("0.2400000000")
    aws_clients.add("pricing", client)
    with stub:
        code, body = await fetch_json(jp_fetch, "smcost", "prices", params={"refresh": "true"})
    assert code == 200, body
    assert body["live_error"] is None
    assert aws_clients.made[-1] == ("pricing", "us-east-1")  # where the Price List API is
    m5 = next(i for i in body["items"] if i["type"] == "ml.m5.xlarge")
    assert (m5["price"]["per_hour"], m5["price"]["source"]) == (0.24, "live")
    saved = json.loads((tmp_path / "smcost" / "prices" / CACHE_NAME).read_text())
    assert saved["items"]["ml.m5.xlarge"]["per_hour"] == 0.24
    code, body = await fetch_json(jp_fetch, "smcost", "status")
    assert (body["price"]["per_hour"], body["price"]["source"]) == (0.24, "live")


@pytest.mark.parametrize(
    "cache_text", [good_cache(time.time() + 3600), None], ids=["fresh file", "no file"]
)
async def test_server_reads_the_cache_once_and_never_on_the_event_loop(
    jp_fetch: Any, smcost_service: Any, server_reads: CacheReads, cache_text: Optional[str]
) -> None:
    loop_thread = threading.get_ident()  # pytest-jupyter serves on the test's thread
    deadline = time.monotonic() + 30
    while True:  # until the start-up load and refresh are over
        code, body = await fetch_json(jp_fetch, "smcost", "prices")
        assert code == 200, body
        m5 = next(i for i in body["items"] if i["type"] == "ml.m5.xlarge")
        over = m5["price"]["source"] == "live" if cache_text else body["live_error"] is not None
        if over or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    # a fresh file is used as is (no fetch); without one, the fetch fails (closed port)
    assert m5["price"]["per_hour"] == (0.3 if cache_text else 0.23)
    loaded = server_reads.count
    assert loaded >= 1
    for _ in range(3):
        for route in ("status", "prices", "recommendations"):
            code, body = await fetch_json(jp_fetch, "smcost", route)
            assert code == 200, body
    assert server_reads.count == loaded  # hits and misses alike: never per request
    assert loop_thread not in server_reads.threads
