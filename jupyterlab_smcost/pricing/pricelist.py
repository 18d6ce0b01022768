"""Live prices: the AWS Price List API's product documents parsed, the requests that fetch
one (region, component) table, and the disk cache that keeps them (:class:`LivePriceCache`).
Blocking (network, disk): callers run it off the event loop."""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from botocore.exceptions import BotoCoreError, ClientError

from ..aws.errors import as_aws_error
from ..aws.partitions import currency_of, price_list_api_region
from ..messages import Message
from .quote import TYPE_RE, USD

log = logging.getLogger(__name__)

#: the Price List API region of the ``aws`` partition (China's: ``cn-northwest-1``, see
#: :func:`..aws.partitions.price_list_api_region`)
PRICING_API_REGION = "us-east-1"
#: the currencies a price dimension is read in (``pricePerUnit`` keys), by partition
PRICE_CURRENCIES = ("USD", "CNY")


#: the product attributes that name the kind of a SageMaker product: a public refresher
#: filters on ``platoinstancetype``, a scraper reads ``component``; both are matched
KIND_ATTRIBUTES = ("platoinstancetype", "component")
_HOURLY_UNITS = ("hrs", "hours", "hour")


@dataclass(frozen=True)
class PriceListEntry:
    """One on-demand hourly instance price read from a Price List product document."""

    region: str
    component: str  # as the product spells it
    instance_type: str
    per_hour: float
    currency: str  # the pricePerUnit key read: USD, or CNY in the China regions
    as_of: Optional[str]  # the offer's publication date
    effective_date: Optional[str]  # the term's effectiveDate, kept apart
    sku: str


def _product_kind(attrs: dict[str, Any], wanted: Optional[str]) -> Optional[str]:
    """The product's kind when every kind attribute it has agrees (with ``wanted`` too,
    case-insensitively); None otherwise (a SpotTraining SKU filed under Training)."""
    kinds = [str(attrs[a]) for a in KIND_ATTRIBUTES if attrs.get(a)]
    if not kinds or len({k.casefold() for k in kinds}) != 1:
        return None
    if wanted is not None and kinds[0].casefold() != wanted.casefold():
        return None
    return kinds[0]


def _instance_name(attrs: dict[str, Any]) -> Optional[str]:
    """``instanceName`` (``instanceType`` can carry a suffix: ml.g7e.2xlarge-hosting)."""
    for key in ("instanceName", "platoinstancename", "instanceType"):
        name = attrs.get(key)
        if isinstance(name, str) and TYPE_RE.match(name):
            return name
    return None


def _hourly_price(term: dict[str, Any], currency: str) -> Optional[float]:
    for dim in (term.get("priceDimensions") or {}).values():
        if str(dim.get("unit", "")).lower() not in _HOURLY_UNITS:
            continue
        if str(dim.get("beginRange", "0")) != "0":
            continue  # a tier above the first hours
        try:
            value = float((dim.get("pricePerUnit") or {}).get(currency))
        except (TypeError, ValueError):
            continue
        if math.isfinite(value) and value > 0:
            return value
    return None


def parse_price_list_item(
    item: str | dict[str, Any], component: Optional[str] = None
) -> Optional[PriceListEntry]:
    """One Price List API product (the JSON get_products returns) -> its on-demand hourly
    price, or None for anything else: another kind than ``component`` (any case), an
    Outposts or Local Zone location, no hourly OnDemand term in the region's currency (USD;
    CNY in the China regions), no instance name."""
    doc = json.loads(item) if isinstance(item, str) else item
    if not isinstance(doc, dict):
        return None
    product = doc.get("product") or {}
    attrs = product.get("attributes") or {}
    if str(attrs.get("locationType", "")).casefold() != "aws region":
        return None
    kind = _product_kind(attrs, component)
    itype = _instance_name(attrs)
    region = attrs.get("regionCode")
    if not (kind and itype and isinstance(region, str) and region):
        return None
    currency = currency_of(region)
    if currency not in PRICE_CURRENCIES:
        return None
    for term in ((doc.get("terms") or {}).get("OnDemand") or {}).values():
        value = _hourly_price(term, currency)
        if value is not None:
            return PriceListEntry(
                region=region,
                component=kind,
                instance_type=itype,
                per_hour=value,
                currency=currency,
                as_of=(str(doc.get("publicationDate") or "")[:10]) or None,
                effective_date=(str(term.get("effectiveDate") or "")[:10]) or None,
                sku=str(product.get("sku") or ""),
            )
    return None


def price_list_requests(region: str, component: str) -> list[dict[str, Any]]:
    """The get_products calls that fetch one (region, component) table.

    Filters are ANDed and each names one attribute (the Filter documentation), so no single
    call can ask for ``component = X or platoinstancetype = X``: one call per attribute,
    TERM_MATCH on the region too; what comes back is checked again client-side.
    """
    return [
        {
            "ServiceCode": "AmazonSageMaker",
            "Filters": [
                {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
                {"Type": "TERM_MATCH", "Field": attribute, "Value": component},
            ],
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        for attribute in KIND_ATTRIBUTES
    ]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_table(doc: Any, region: str, component: str) -> dict[str, Any]:
    """A cached price table as read from disk, checked; raises ValueError saying what is wrong.

    Shape: ``{"region", "component", "fetched_at": seconds, "items": {type: {"per_hour":
    positive number, "currency": "USD"/"CNY", "as_of": date or null, "effective_date": date
    or null (optional)}}}``. A file of an earlier version (``usd_per_hour``, no currency) is
    read as USD; a currency that is not the region's is refused.
    """
    if not isinstance(doc, dict):
        raise ValueError(f"expected a JSON object, found {type(doc).__name__}")
    for key, want in (("region", region), ("component", component)):
        if key in doc and doc[key] != want:
            raise ValueError(f"it holds the table of {key} {str(doc[key])[:40]!r}, not {want}")
    if not _number(doc.get("fetched_at")):
        raise ValueError("'fetched_at' is missing or not a number")
    items = doc.get("items")
    if not isinstance(items, dict):
        raise ValueError("'items' is missing or not an object")
    clean: dict[str, dict[str, Any]] = {}
    for itype, item in items.items():
        item = item if isinstance(item, dict) else {}
        legacy = "per_hour" not in item and "usd_per_hour" in item
        value = item.get("usd_per_hour") if legacy else item.get("per_hour")
        currency = USD if legacy else item.get("currency")
        dates = (item.get("as_of"), item.get("effective_date"))
        if (
            not _number(value)
            or value <= 0
            or not all(d is None or isinstance(d, str) for d in dates)
        ):
            raise ValueError(f"the item {itype[:40]!r} is not {{per_hour, currency, as_of}}")
        if currency != currency_of(region):
            raise ValueError(
                f"the item {itype[:40]!r} is in {str(currency)[:8]!r}, not {region}'s "
                f"{currency_of(region)}"
            )
        clean[itype] = {
            "per_hour": float(value),
            "currency": currency,
            "as_of": dates[0],
            "effective_date": dates[1],
        }
    return {
        "region": region,
        "component": component,
        "fetched_at": float(doc["fetched_at"]),
        "items": clean,
    }


def fix_message(code: str, region: str) -> Optional[Message]:
    """What would make live prices of ``region`` reachable, by the code of the AWS failure
    that stopped them (None when nothing but time would, e.g. throttling)."""
    api = price_list_api_region(region)
    host = f"api.pricing.{api}.amazonaws.com" + (".cn" if api.startswith("cn-") else "")
    if code == "aws_access_denied":
        return Message.of(
            "fix.allow_get_products",
            f"allow pricing:GetProducts to the role this server runs as (the Price List API "
            f"is served from {api} whatever the region priced)",
            api_region=api,
        )
    if code in ("aws_unreachable", "aws_timeout"):
        return Message.of(
            "fix.route_to_pricing",
            f"a route from this network to the Price List API in {api} ({host}): a NAT "
            "gateway, or an interface VPC endpoint (AWS PrivateLink) for the Price List API",
            api_region=api,
            host=host,
        )
    if code == "aws_no_credentials":
        return Message.of(
            "fix.credentials",
            "AWS credentials for this server: a role attached to the instance, or "
            "credentials in its environment",
        )
    return None


def fix_for(code: str, region: str) -> Optional[str]:
    """:func:`fix_message`'s English text."""
    fix = fix_message(code, region)
    return fix.text if fix else None


#: what would make live prices reachable in the ``aws`` partition (see :func:`fix_for`)
FIXES = {
    code: fix_for(code, PRICING_API_REGION)
    for code in ("aws_access_denied", "aws_unreachable", "aws_no_credentials", "aws_timeout")
}


@dataclass(frozen=True)
class FetchFailure:
    """Why a live table could not be fetched: the AWS error's code, sentence and params
    (``error.params``), and what would fix it (None when nothing but time would, e.g.
    throttling)."""

    code: str
    message: str
    fix: Optional[Message]
    params: tuple[tuple[str, Union[str, int]], ...] = ()

    @classmethod
    def of(cls, exc: ClientError | BotoCoreError, region: str, component: str) -> FetchFailure:
        action = Message.of(
            "action.fetch_price_table",
            f"fetch {component} prices for {region} (Price List API)",
            component=component,
            region=region,
        )
        error = as_aws_error(exc, action)
        return cls(
            error.code,
            error.message,
            fix_message(error.code, region),
            tuple(sorted(error.params.items())),
        )


class LivePriceCache:
    """Fetches (region, component) price tables from the Price List API, cached on disk.

    ``client_for(api_region)`` returns a boto3 ``pricing`` client in the region whose Price
    List API serves the region priced (``cn-northwest-1`` for China, see
    :func:`..aws.partitions.price_list_api_region`); ``client_factory()``, the older form,
    one client for every region (tests pass one wrapped in a botocore Stubber).
    Disk writes are atomic. A file is read at most once per process
    (:meth:`load`; a missing or unusable file is remembered as such, and an unusable one is
    warned about once) until :meth:`refresh` replaces it; :meth:`cached` never reads it.
    ``version`` changes whenever what is in memory does.
    """

    def __init__(
        self,
        cache_dir: Path | str,
        ttl_s: float = 7 * 24 * 3600,
        client_factory: Optional[Callable[[], Any]] = None,
        clock: Callable[[], float] = time.time,
        client_for: Optional[Callable[[str], Any]] = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.ttl_s = ttl_s
        if client_for is None:
            client_for = (lambda _: client_factory()) if client_factory else _default_pricing_client
        self._client_for = client_for
        self._clock = clock
        #: what was loaded or fetched; None: no usable file (a miss, remembered)
        self._mem: dict[tuple[str, str], Optional[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.version = 0
        #: the last fetch of a table that failed (cleared when one succeeds)
        self._failures: dict[tuple[str, str], FetchFailure] = {}

    def _path(self, region: str, component: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{region}__{component}")
        return self.cache_dir / f"prices-{safe}.json"

    def cached(self, region: str, component: str) -> Optional[dict[str, Any]]:
        """The table in memory (possibly stale), if loaded or fetched: no disk, no network."""
        with self._lock:
            return self._mem.get((region, component))

    def tables(self) -> list[tuple[tuple[str, str], dict[str, Any]]]:
        """Every table in memory: no disk, no network."""
        with self._lock:
            return [(key, data) for key, data in self._mem.items() if data is not None]

    def load(self, region: str, component: str) -> Optional[dict[str, Any]]:
        """The table in memory, else read from the disk cache once. Blocking (file I/O)."""
        key = (region, component)
        with self._lock:
            if key in self._mem:
                return self._mem[key]
        data = self._read(self._path(region, component), region, component)
        with self._lock:
            if key not in self._mem:  # a refresh may have stored a newer one meanwhile
                self._mem[key] = data
                self.version += 1
            return self._mem[key]

    @staticmethod
    def _read(path: Path, region: str, component: str) -> Optional[dict[str, Any]]:
        try:
            return validate_table(json.loads(path.read_text()), region, component)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:  # JSONDecodeError and UnicodeDecodeError too
            log.warning(
                "ignoring the price cache %s until the next refresh replaces it: %s", path, e
            )
            return None

    def is_fresh(self, region: str, component: str) -> bool:
        """Whether the table is younger than the TTL. Blocking: may load it from disk."""
        data = self.load(region, component)
        return data is not None and self._clock() - data["fetched_at"] < self.ttl_s

    def refresh(self, region: str, component: str, force: bool = False) -> dict[str, Any]:
        """Fetch from the API when stale, missing, unusable (or forced). Blocking: call from a
        worker thread.

        Raises botocore/boto3 errors (callers turn them into messages), and remembers them:
        :meth:`failure` says why there is no live table.
        """
        if not force and self.is_fresh(region, component):
            return self.cached(region, component) or {}
        try:
            items = self.fetch(region, component)
        except (ClientError, BotoCoreError) as e:
            with self._lock:
                self._failures[(region, component)] = FetchFailure.of(e, region, component)
            raise
        data = {
            "region": region,
            "component": component,
            "fetched_at": self._clock(),
            "items": items,
        }
        self._write(self._path(region, component), data)
        with self._lock:
            self._mem[(region, component)] = data
            self._failures.pop((region, component), None)
            self.version += 1
        return data

    def failure(self, region: str, component: str) -> Optional[FetchFailure]:
        """Why the last fetch of this table failed, if it did (and none succeeded since)."""
        with self._lock:
            return self._failures.get((region, component))

    def fetch(self, region: str, component: str) -> dict[str, dict[str, Any]]:
        """The on-demand hourly prices of one (region, component) from the Price List API,
        keyed by instance type. Blocking."""
        client = self._client_for(price_list_api_region(region))
        items: dict[str, dict[str, Any]] = {}
        skus: dict[str, str] = {}
        for kwargs in price_list_requests(region, component):
            while True:
                page = client.get_products(**kwargs)
                for raw in page.get("PriceList", []):
                    entry = parse_price_list_item(raw, component)
                    if entry is None or entry.region != region:
                        continue
                    seen = skus.get(entry.instance_type)
                    if seen is None:
                        skus[entry.instance_type] = entry.sku
                        items[entry.instance_type] = {
                            "per_hour": entry.per_hour,
                            "currency": entry.currency,
                            "as_of": entry.as_of,
                            "effective_date": entry.effective_date,
                        }
                    elif seen != entry.sku:  # two products for one type: keep the first
                        log.warning(
                            "Price List: %s %s %s has two products (%s, %s); keeping %s",
                            region,
                            component,
                            entry.instance_type,
                            seen,
                            entry.sku,
                            seen,
                        )
                token = page.get("NextToken")
                if not token:
                    break
                kwargs = {**kwargs, "NextToken": token}
        return items

    @staticmethod
    def _write(path: Path, data: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".prices-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _default_pricing_client(api_region: str) -> Any:
    from ..aws import clients

    return clients.make_client("pricing", api_region)
