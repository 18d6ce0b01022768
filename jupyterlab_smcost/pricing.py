"""Price book: (region, component, instance type) -> USD/hour, with specs.

Sources, in order: live AWS Price List API (cached on disk with a TTL), the bundled
snapshot, a labelled estimate, else ``unknown``. Every :class:`Price` says which.

This module needs only the standard library and boto3 (the janitor's Lambda handlers use it).
Lookups never touch the network nor the disk: :meth:`PriceBook.load_live` reads the disk
cache and :meth:`LivePriceCache.refresh` fetches; callers run both off the event loop.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Optional

log = logging.getLogger(__name__)

SOURCES = ("live", "bundled", "estimated", "unknown")
HOURS_PER_DAY = 24.0
HOURS_PER_MONTH = 730.0  # AWS's own convention for monthly estimates
PRICING_API_REGION = "us-east-1"  # the Price List API is served from a few regions only

_TYPE_RE = re.compile(r"^ml\.([a-z0-9-]+)\.(\d*)(nano|micro|small|medium|large|xlarge|metal)$")
_SIZE_UNITS = {"nano": 0.125, "micro": 0.25, "small": 0.5, "medium": 0.5, "large": 1.0}


@dataclass(frozen=True)
class Specs:
    vcpu: int
    memory_gib: float
    gpu_count: int = 0
    gpu_model: Optional[str] = None
    gpu_memory_gib: float = 0.0


@dataclass(frozen=True)
class Price:
    usd_per_hour: Optional[float]
    source: str  # one of SOURCES
    as_of: Optional[str] = None  # ISO date (or month) the figure was published/seen
    detail: str = ""  # citation, or how an estimate was made

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


UNKNOWN = Price(None, "unknown", None, "no price for this type, region and component")


def price_row(instance_type: str, price: Price, specs: Optional[Specs]) -> dict[str, Any]:
    """One row of a price table as JSON (REST API and CLI)."""
    return {
        "type": instance_type,
        "usd_per_hour": price.usd_per_hour,
        "source": price.source,
        "as_of": price.as_of,
        "detail": price.detail,
        "vcpu": specs.vcpu if specs else None,
        "memory_gib": specs.memory_gib if specs else None,
        "gpu_count": specs.gpu_count if specs else None,
        "gpu_model": specs.gpu_model if specs else None,
    }


def size_units(instance_type: str) -> Optional[float]:
    """Relative size from the type name: large=1, xlarge=2, 4xlarge=8; None if unparsable."""
    m = _TYPE_RE.match(instance_type)
    if not m:
        return None
    mult, size = m.group(2), m.group(3)
    if size == "xlarge":
        return 2.0 * (int(mult) if mult else 1)
    if size == "metal":
        return None
    return _SIZE_UNITS[size]


def family(instance_type: str) -> Optional[str]:
    m = _TYPE_RE.match(instance_type)
    return m.group(1) if m else None


def load_bundled() -> dict[str, Any]:
    """The snapshot shipped in the package (built by scripts/build_price_snapshot.py)."""
    text = resources.files("jupyterlab_smcost").joinpath("data/prices.json").read_text()
    return json.loads(text)


# ---------------------------------------------------------------------------- live prices


def parse_price_list_item(item: str | dict) -> Optional[tuple[str, str, str, float, str]]:
    """One Price List API product -> (region, component, type, usd_per_hour, as_of).

    Returns None for anything that is not an hourly on-demand USD instance price.
    """
    doc = json.loads(item) if isinstance(item, str) else item
    attrs = doc.get("product", {}).get("attributes", {})
    itype = attrs.get("instanceName") or attrs.get("platoinstancename")
    component = attrs.get("component") or attrs.get("platoinstancetype")
    region = attrs.get("regionCode")
    if not (itype and component and region and itype.startswith("ml.")):
        return None
    for term in doc.get("terms", {}).get("OnDemand", {}).values():
        for dim in term.get("priceDimensions", {}).values():
            if dim.get("unit", "").lower() not in ("hrs", "hours", "hour"):
                continue
            usd = dim.get("pricePerUnit", {}).get("USD")
            if usd is None:
                continue
            try:
                value = float(usd)
            except ValueError:
                continue
            if value <= 0:
                continue
            as_of = (term.get("effectiveDate") or doc.get("publicationDate") or "")[:10]
            return region, component, itype, value, as_of or None
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_table(doc: Any, region: str, component: str) -> dict[str, Any]:
    """A cached price table as read from disk, checked; raises ValueError saying what is wrong.

    Shape: ``{"region", "component", "fetched_at": seconds, "items": {type: {"usd_per_hour":
    positive number, "as_of": date or null}}}``.
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
        usd = item.get("usd_per_hour") if isinstance(item, dict) else None
        as_of = item.get("as_of") if isinstance(item, dict) else None
        if not _number(usd) or usd <= 0 or not (as_of is None or isinstance(as_of, str)):
            raise ValueError(f"the item {itype[:40]!r} is not {{usd_per_hour, as_of}}")
        clean[itype] = {"usd_per_hour": float(usd), "as_of": as_of}
    return {
        "region": region,
        "component": component,
        "fetched_at": float(doc["fetched_at"]),
        "items": clean,
    }


class LivePriceCache:
    """Fetches (region, component) price tables from the Price List API, cached on disk.

    ``client_factory`` returns a boto3 ``pricing`` client (tests pass one wrapped in a
    botocore Stubber). Disk writes are atomic. A file is read at most once per process
    (:meth:`load`; a missing or unusable file is remembered as such, and an unusable one is
    warned about once) until :meth:`refresh` replaces it; :meth:`cached` never reads it.
    """

    def __init__(
        self,
        cache_dir: Path | str,
        ttl_s: float = 7 * 24 * 3600,
        client_factory: Optional[Callable[[], Any]] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.ttl_s = ttl_s
        self._client_factory = client_factory or _default_pricing_client
        self._clock = clock
        #: what was loaded or fetched; None: no usable file (a miss, remembered)
        self._mem: dict[tuple[str, str], Optional[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.last_error: Optional[str] = None

    def _path(self, region: str, component: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{region}__{component}")
        return self.cache_dir / f"prices-{safe}.json"

    def cached(self, region: str, component: str) -> Optional[dict[str, Any]]:
        """The table in memory (possibly stale), if loaded or fetched: no disk, no network."""
        with self._lock:
            return self._mem.get((region, component))

    def load(self, region: str, component: str) -> Optional[dict[str, Any]]:
        """The table in memory, else read from the disk cache once. Blocking (file I/O)."""
        key = (region, component)
        with self._lock:
            if key in self._mem:
                return self._mem[key]
        data = self._read(self._path(region, component), region, component)
        with self._lock:
            return self._mem.setdefault(key, data)  # a refresh may have stored a newer one

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

        Raises botocore/boto3 errors; callers turn them into messages.
        """
        if not force and self.is_fresh(region, component):
            return self.cached(region, component) or {}
        client = self._client_factory()
        items: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {
            "ServiceCode": "AmazonSageMaker",
            "Filters": [
                {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
                {"Type": "TERM_MATCH", "Field": "component", "Value": component},
            ],
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        while True:
            page = client.get_products(**kwargs)
            for raw in page.get("PriceList", []):
                parsed = parse_price_list_item(raw)
                if not parsed:
                    continue
                p_region, p_component, itype, usd, as_of = parsed
                if p_region != region or p_component != component:
                    continue
                items[itype] = {"usd_per_hour": usd, "as_of": as_of}
            token = page.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        data = {
            "region": region,
            "component": component,
            "fetched_at": self._clock(),
            "items": items,
        }
        self._write(self._path(region, component), data)
        with self._lock:
            self._mem[(region, component)] = data
        self.last_error = None
        return data

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


def _default_pricing_client() -> Any:
    from .aws import clients

    return clients.make_client("pricing", PRICING_API_REGION)


# ---------------------------------------------------------------------------- the book


class PriceBook:
    """Resolves prices and specs; lookups are in memory and never block (no disk, no network):
    call :meth:`load_live` first (off the event loop) for the live cache to take part."""

    def __init__(
        self,
        snapshot: Optional[dict[str, Any]] = None,
        live: Optional[LivePriceCache] = None,
    ) -> None:
        snap = snapshot if snapshot is not None else load_bundled()
        self._specs = {
            t: Specs(
                vcpu=int(s["vcpu"]),
                memory_gib=float(s["memory_gib"]),
                gpu_count=int(s.get("gpu_count") or 0),
                gpu_model=s.get("gpu_model"),
                gpu_memory_gib=float(s.get("gpu_memory_gib") or 0),
            )
            for t, s in snap.get("specs", {}).items()
        }
        self._bundled: dict[tuple[str, str, str], Price] = {}
        for p in snap.get("prices", []):
            self._bundled[(p["region"], p["component"], p["type"])] = Price(
                float(p["usd_per_hour"]), "bundled", p.get("as_of"), p.get("source", "")
            )
        self.live = live

    def load_live(self, region: str, component: str) -> None:
        """Read from the disk cache (once each) every live table that lookups of ``component``
        in ``region`` may use: its own, and the other components estimates borrow from.
        Blocking (file I/O)."""
        if not self.live:
            return
        others = {c for (r, c, _) in self._bundled if r == region}
        for c in sorted({component} | others):
            self.live.load(region, c)

    # -- specs
    def specs(self, instance_type: str) -> Optional[Specs]:
        return self._specs.get(instance_type)

    def known_types(self) -> list[str]:
        return sorted(self._specs)

    # -- prices
    def _live(self, region: str, component: str, instance_type: str) -> Optional[Price]:
        if not self.live:
            return None
        data = self.live.cached(region, component)
        if not data:
            return None
        item = data["items"].get(instance_type)
        if not item:
            return None
        return Price(
            float(item["usd_per_hour"]),
            "live",
            item.get("as_of"),
            f"AWS Price List API, {region}, component {component}",
        )

    def _direct(self, region: str, component: str, instance_type: str) -> Optional[Price]:
        return self._live(region, component, instance_type) or self._bundled.get(
            (region, component, instance_type)
        )

    def price(self, region: str, component: str, instance_type: str) -> Price:
        """Live, else bundled, else a labelled estimate, else unknown."""
        direct = self._direct(region, component, instance_type)
        if direct:
            return direct
        return self._estimate(region, component, instance_type) or UNKNOWN

    def _types_priced(self, region: str, component: str) -> set[str]:
        types = {t for (r, c, t) in self._bundled if r == region and c == component}
        if self.live:
            data = self.live.cached(region, component)
            if data:
                types |= set(data["items"])
        return types

    def _estimate(self, region: str, component: str, instance_type: str) -> Optional[Price]:
        # 1) the same type, same region, under another component: components price the
        #    same hardware within about 1% of each other.
        others = sorted(
            {c for (r, c, t) in self._bundled if r == region and t == instance_type} - {component}
        )
        for other in others:
            base = self._direct(region, other, instance_type)
            if base and base.usd_per_hour is not None:
                return Price(
                    base.usd_per_hour,
                    "estimated",
                    base.as_of,
                    f"estimate: {other} price of {instance_type} in {region} "
                    f"({base.source}); no {component} price known",
                )
        # 2) linear in size from the nearest priced sibling of the same family.
        fam, units = family(instance_type), size_units(instance_type)
        if not fam or not units:
            return None
        siblings = [
            t
            for t in self._types_priced(region, component)
            if family(t) == fam and size_units(t) and t != instance_type
        ]
        if not siblings:
            return None
        sib = min(siblings, key=lambda t: abs((size_units(t) or 0) - units))
        base = self._direct(region, component, sib)
        if not base or base.usd_per_hour is None:
            return None
        factor = units / (size_units(sib) or 1)
        return Price(
            round(base.usd_per_hour * factor, 4),
            "estimated",
            base.as_of,
            f"estimate: linear in size from {sib} ({base.source} ${base.usd_per_hour}/h) "
            f"x {factor:g}",
        )

    def table(
        self, region: str, component: str, types: Optional[Iterable[str]] = None
    ) -> list[tuple[str, Price, Optional[Specs]]]:
        """Rows for every type priced (or given), sorted by price then name."""
        names = set(types) if types is not None else self._types_priced(region, component)
        rows = [(t, self.price(region, component, t), self.specs(t)) for t in names]
        rows.sort(key=lambda r: (r[1].usd_per_hour is None, r[1].usd_per_hour or 0, r[0]))
        return rows

    def as_of(self, region: str, component: str) -> Optional[str]:
        """Latest date among the prices known for this region/component."""
        dates = [
            p.as_of
            for (r, c, _), p in self._bundled.items()
            if r == region and c == component and p.as_of
        ]
        if self.live:
            data = self.live.cached(region, component)
            if data:
                dates += [i["as_of"] for i in data["items"].values() if i.get("as_of")]
        return max(dates) if dates else None
