"""Price book: (region, component, instance type) -> USD/hour, with specs.

Sources, in order: live AWS Price List API (cached on disk with a TTL), the bundled
snapshot, a labelled estimate, else ``unknown``. Every :class:`Price` says which, with its
date and its citation or how it was estimated.

Estimates (:data:`ESTIMATE_RULES`, first that answers wins; each is measured by
``benchmarks/bench_price_estimates.py``, leaving each bundled price out in turn):

- ``component``: the same type in the same region under another component, times the
  ratio measured between the two components (components price a type alike);
- ``region``: the same type in another region, times the ratio between the two regions
  measured on the types they share of the same family, else of the same kind (CPU or GPU:
  regions mark GPU types up differently, ap-northeast-1 1.29x CPU and 1.45x g5);
- ``family``: the type's neighbours in the same family, region and component: linear in
  size for CPU families; for GPU (and other accelerator) families, which are not linear in
  size, a model ``a * GPUs + b * vCPUs`` fitted to the family's known prices, used only
  inside the sizes it was fitted on and only when it predicts each of them, left out in
  turn, within :data:`FAMILY_FIT_MAX_ERROR`;
- else ``unknown``: no rule guesses beyond what its data supports.

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
import statistics
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

#: the Price List components (``component`` / ``platoinstancetype`` values) the bundled
#: data and the environments use, spelt as the Price List spells them
COMPONENTS = (
    "Studio-JupyterLab",
    "studio-codeeditor",
    "Studio-Notebook",
    "Notebook",
    "Hosting",
    "Training",
    "Processing",
    "BatchTransform",
)

_TYPE_RE = re.compile(r"^ml\.([a-z0-9-]+)\.(\d*)(nano|micro|small|medium|large|xlarge|metal)$")
_SIZE_UNITS = {"nano": 0.125, "micro": 0.25, "small": 0.5, "medium": 0.5, "large": 1.0}

#: estimate rules, in the order they are tried
ESTIMATE_RULES = ("component", "region", "family")
#: a region ratio over a whole kind (no shared type of the family) needs this many types
MIN_KIND_SHARED = 3
#: components with no shared type are taken as equal only while every measured pair of
#: components agreed within this (0.33% in the bundled data)
COMPONENT_AGREEMENT_MAX = 0.02
#: a GPU family's fitted size model needs this many prices, ...
FAMILY_FIT_MIN_PRICES = 4
#: ... must predict each of them that lies inside the others' sizes, left out in turn,
#: within this, ...
FAMILY_FIT_MAX_ERROR = 0.05
#: ... and at least this many of them must be checked so
FAMILY_FIT_MIN_CHECKS = 2


def canonical_component(name: str) -> Optional[str]:
    """The Price List spelling of a component name given in any case; None if unknown."""
    folded = name.strip().casefold()
    return next((c for c in COMPONENTS if c.casefold() == folded), None)


def _component_key(name: str) -> str:
    """How the book keys a component: its Price List spelling when known, else as given."""
    return canonical_component(name) or name


@dataclass(frozen=True)
class Specs:
    vcpu: int
    memory_gib: float
    gpu_count: int = 0
    gpu_model: Optional[str] = None
    gpu_memory_gib: float = 0.0  # the instance's total
    accelerator_count: int = 0  # AWS Inferentia/Trainium chips
    accelerator_model: Optional[str] = None

    @property
    def accelerators(self) -> int:
        return self.gpu_count or self.accelerator_count

    @property
    def kind(self) -> str:
        """ "GPU" for GPU and other accelerator types (priced alike), else "CPU"."""
        return "GPU" if self.accelerators else "CPU"


@dataclass(frozen=True)
class Price:
    usd_per_hour: Optional[float]
    source: str  # one of SOURCES
    as_of: Optional[str] = None  # ISO date (or month) the figure was published/seen
    detail: str = ""  # citation, or how an estimate was made

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """``$2.03/h, bundled 2026-09-24`` (an estimate adds how it was made)."""
        dated = f"{self.source} {self.as_of}" if self.as_of else self.source
        if self.source == "estimated":
            return f"{_usd(self.usd_per_hour)}/h {dated}: {self.detail}"
        return f"{_usd(self.usd_per_hour)}/h, {dated}"


def _usd(value: Optional[float]) -> str:
    return "unknown" if value is None else f"${value:.4g}"


def unknown(region: str, component: str, instance_type: str) -> Price:
    return Price(
        None,
        "unknown",
        None,
        f"no {component} price is known for {instance_type} in {region}, "
        "and too little close data to estimate one",
    )


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
    usd_per_hour: float
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
        if isinstance(name, str) and _TYPE_RE.match(name):
            return name
    return None


def _hourly_usd(term: dict[str, Any]) -> Optional[float]:
    for dim in (term.get("priceDimensions") or {}).values():
        if str(dim.get("unit", "")).lower() not in _HOURLY_UNITS:
            continue
        if str(dim.get("beginRange", "0")) != "0":
            continue  # a tier above the first hours
        try:
            value = float((dim.get("pricePerUnit") or {}).get("USD"))
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
    Outposts or Local Zone location, no hourly USD OnDemand term, no instance name."""
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
    for term in ((doc.get("terms") or {}).get("OnDemand") or {}).values():
        usd = _hourly_usd(term)
        if usd is not None:
            return PriceListEntry(
                region=region,
                component=kind,
                instance_type=itype,
                usd_per_hour=usd,
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

    Shape: ``{"region", "component", "fetched_at": seconds, "items": {type: {"usd_per_hour":
    positive number, "as_of": date or null, "effective_date": date or null (optional)}}}``.
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
        usd = item.get("usd_per_hour")
        dates = (item.get("as_of"), item.get("effective_date"))
        if not _number(usd) or usd <= 0 or not all(d is None or isinstance(d, str) for d in dates):
            raise ValueError(f"the item {itype[:40]!r} is not {{usd_per_hour, as_of}}")
        clean[itype] = {"usd_per_hour": float(usd), "as_of": dates[0], "effective_date": dates[1]}
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
    ``version`` changes whenever what is in memory does.
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
        self.version = 0
        self.last_error: Optional[str] = None

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

        Raises botocore/boto3 errors; callers turn them into messages.
        """
        if not force and self.is_fresh(region, component):
            return self.cached(region, component) or {}
        items = self.fetch(region, component)
        data = {
            "region": region,
            "component": component,
            "fetched_at": self._clock(),
            "items": items,
        }
        self._write(self._path(region, component), data)
        with self._lock:
            self._mem[(region, component)] = data
            self.version += 1
        self.last_error = None
        return data

    def fetch(self, region: str, component: str) -> dict[str, dict[str, Any]]:
        """The on-demand hourly prices of one (region, component) from the Price List API,
        keyed by instance type. Blocking."""
        client = self._client_factory()
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
                            "usd_per_hour": entry.usd_per_hour,
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


def _default_pricing_client() -> Any:
    from .aws import clients

    return clients.make_client("pricing", PRICING_API_REGION)


# ---------------------------------------------------------------------------- estimates


def _fit(points: list[tuple[float, float, float]]) -> Optional[tuple[float, float]]:
    """Least squares ``price = a * accelerators + b * vcpu`` over (acc, vcpu, price)."""
    saa = sum(a * a for a, _, _ in points)
    svv = sum(v * v for _, v, _ in points)
    sav = sum(a * v for a, v, _ in points)
    sap = sum(a * p for a, _, p in points)
    svp = sum(v * p for _, v, p in points)
    det = saa * svv - sav * sav
    if abs(det) < 1e-9 * max(saa * svv, 1e-12):
        return None
    return (sap * svv - svp * sav) / det, (svp * saa - sap * sav) / det


def _inside(points: list[tuple[float, float, float]], acc: float, vcpu: float) -> bool:
    return min(p[0] for p in points) <= acc <= max(p[0] for p in points) and min(
        p[1] for p in points
    ) <= vcpu <= max(p[1] for p in points)


def _fit_self_check(points: list[tuple[float, float, float]]) -> Optional[float]:
    """The worst error of the fit on each point left out in turn (those inside the others'
    sizes); None when fewer than FAMILY_FIT_MIN_CHECKS points can be checked so."""
    errors = []
    for i, (acc, vcpu, usd) in enumerate(points):
        rest = points[:i] + points[i + 1 :]
        if not _inside(rest, acc, vcpu):
            continue
        ab = _fit(rest)
        if ab is None:
            return None
        errors.append(abs((ab[0] * acc + ab[1] * vcpu) / usd - 1))
    return max(errors) if len(errors) >= FAMILY_FIT_MIN_CHECKS else None


def _newest_first(price: Price) -> tuple[int, ...]:
    """A sort key that puts later ``as_of`` dates (2026-09-24, 2025-01) first."""
    return tuple(-int(x) for x in (price.as_of or "0").split("-") if x.isdigit())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class _Index:
    """The direct (live or bundled) prices at one moment, with memos of what estimates
    derive from them; replaced whenever the live tables change."""

    def __init__(self, prices: dict[tuple[str, str, str], Price], version: int) -> None:
        self.version = version
        self.prices = prices
        self.by_region: dict[str, dict[tuple[str, str], Price]] = {}
        for (region, component, itype), p in prices.items():
            self.by_region.setdefault(region, {})[(component, itype)] = p
        self.memo: dict[tuple[Any, ...], Any] = {}

    def usd(self, region: str, component: str, itype: str) -> Optional[float]:
        p = self.prices.get((region, component, itype))
        return p.usd_per_hour if p else None


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
                accelerator_count=int(s.get("accelerator_count") or 0),
                accelerator_model=s.get("accelerator_model"),
            )
            for t, s in snap.get("specs", {}).items()
        }
        self._bundled: dict[tuple[str, str, str], Price] = {}
        for p in snap.get("prices", []):
            self._bundled[(p["region"], p["component"], p["type"])] = Price(
                float(p["usd_per_hour"]), "bundled", p.get("as_of"), p.get("source", "")
            )
        self._family_kinds: dict[str, set[str]] = {}
        for t, s in self._specs.items():
            self._family_kinds.setdefault(family(t) or "", set()).add(s.kind)
        self.live = live
        self._idx: Optional[_Index] = None

    def load_live(self, region: str, component: str) -> None:
        """Read from the disk cache (once each) every live table that lookups of ``component``
        in ``region`` may use: its own, the region's other components and the component in
        the other regions (estimates borrow from them). Blocking (file I/O)."""
        if not self.live:
            return
        wanted = {(region, component)}
        wanted |= {(r, c) for (r, c, _) in self._bundled if r == region or c == component}
        for key in sorted(wanted):
            self.live.load(*key)

    # -- specs
    def specs(self, instance_type: str) -> Optional[Specs]:
        return self._specs.get(instance_type)

    def known_types(self) -> list[str]:
        return sorted(self._specs)

    def kind(self, instance_type: str) -> Optional[str]:
        """ "CPU" or "GPU" from the type's specs, else from its family's; None if unknown."""
        s = self._specs.get(instance_type)
        if s:
            return s.kind
        kinds = self._family_kinds.get(family(instance_type) or "", set())
        return next(iter(kinds)) if len(kinds) == 1 else None

    # -- direct prices
    def _index(self) -> _Index:
        version = self.live.version if self.live else 0
        idx = self._idx
        if idx is None or idx.version != version:
            prices = dict(self._bundled)
            for (region, component), data in self.live.tables() if self.live else []:
                component = _component_key(component)
                for itype, item in data["items"].items():
                    prices[(region, component, itype)] = self._live_price(region, component, item)
            idx = self._idx = _Index(prices, version)
        return idx

    @staticmethod
    def _live_price(region: str, component: str, item: dict[str, Any]) -> Price:
        effective = item.get("effective_date")
        return Price(
            float(item["usd_per_hour"]),
            "live",
            item.get("as_of"),
            f"AWS Price List API, {region}, {component}"
            + (f", offer published {item['as_of']}" if item.get("as_of") else "")
            + (f", term effective {effective}" if effective else ""),
        )

    def direct(self, region: str, component: str, instance_type: str) -> Optional[Price]:
        """The live or bundled price, if any: no estimate."""
        return self._index().prices.get((region, _component_key(component), instance_type))

    def price(self, region: str, component: str, instance_type: str) -> Price:
        """Live, else bundled, else a labelled estimate, else unknown (components in any
        case)."""
        component = _component_key(component)
        return (
            self.direct(region, component, instance_type)
            or self.estimate(region, component, instance_type)
            or unknown(region, component, instance_type)
        )

    def total(self, region: str, component: str, instance_types: list[str]) -> Price:
        """What several apps billed at once cost together: the sum, with the least sure
        source among them; unknown as soon as one of them is."""
        parts = [(t, self.price(region, component, t)) for t in instance_types]
        if len(parts) == 1:
            return parts[0][1]
        missing = [t for t, p in parts if p.usd_per_hour is None]
        if not parts or missing:
            why = f"the price of {', '.join(missing)} is unknown" if parts else "no instance type"
            return Price(None, "unknown", None, why)
        worst = max((p for _, p in parts), key=lambda p: SOURCES.index(p.source))
        dates = [p.as_of for _, p in parts if p.as_of]
        return Price(
            round(sum(p.usd_per_hour or 0.0 for _, p in parts), 4),
            worst.source,
            min(dates) if dates else None,
            f"sum of {len(parts)} apps: " + "; ".join(f"{t} {p.describe()}" for t, p in parts),
        )

    def _types_priced(self, region: str, component: str) -> set[str]:
        component = _component_key(component)
        return {t for (c, t) in self._index().by_region.get(region, {}) if c == component}

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
        component = _component_key(component)
        dates = [
            p.as_of
            for (c, _), p in self._index().by_region.get(region, {}).items()
            if c == component and p.as_of
        ]
        return max(dates) if dates else None

    # -- estimates
    def estimate(
        self,
        region: str,
        component: str,
        instance_type: str,
        rules: Iterable[str] = ESTIMATE_RULES,
    ) -> Optional[Price]:
        """The first of ``rules`` that can estimate this price from the others; None if none
        can. Never looks at this very (region, component, type)'s own price."""
        idx = self._index()
        rules, component = tuple(rules), _component_key(component)
        key = ("estimate", region, component, instance_type, rules)
        if key not in idx.memo:
            found = None
            for rule in rules:
                found = getattr(self, f"_by_{rule}")(idx, region, component, instance_type)
                if found:
                    break
            idx.memo[key] = found
        return idx.memo[key]

    def _component_ratio(
        self, idx: _Index, region: str, component: str, other: str, kind: Optional[str]
    ) -> tuple[float, int]:
        """Median price ratio component / other over the region's shared types of a kind."""
        key = ("component", region, component, other, kind)
        if key not in idx.memo:
            ratios = [
                p.usd_per_hour / base.usd_per_hour
                for (c, t), p in idx.by_region.get(region, {}).items()
                if c == component
                and (base := idx.prices.get((region, other, t)))
                and p.usd_per_hour
                and base.usd_per_hour
                and (kind is None or self.kind(t) == kind)
            ]
            idx.memo[key] = (statistics.median(ratios), len(ratios)) if ratios else (1.0, 0)
        return idx.memo[key]

    def _component_agreement(self, idx: _Index) -> tuple[float, int]:
        """The worst disagreement between two components pricing one type in one region,
        and how many such pairs there are."""
        if "agreement" not in idx.memo:
            worst, pairs = 0.0, 0
            for prices in idx.by_region.values():
                by_type: dict[str, list[float]] = {}
                for (_, t), p in prices.items():
                    if p.usd_per_hour:
                        by_type.setdefault(t, []).append(p.usd_per_hour)
                for usd in by_type.values():
                    for i, a in enumerate(usd):
                        for b in usd[i + 1 :]:
                            worst, pairs = max(worst, abs(a / b - 1), abs(b / a - 1)), pairs + 1
            idx.memo["agreement"] = (worst, pairs)
        return idx.memo["agreement"]

    def _by_component(
        self, idx: _Index, region: str, component: str, itype: str
    ) -> Optional[Price]:
        kind = self.kind(itype)
        options = []
        for (c, t), base in idx.by_region.get(region, {}).items():
            if t != itype or c == component or not base.usd_per_hour:
                continue
            ratio, shared = self._component_ratio(idx, region, component, c, kind)
            order = COMPONENTS.index(c) if c in COMPONENTS else len(COMPONENTS)
            options.append((-shared, order, c, base, ratio, shared))
        if not options:
            return None
        _, _, other, base, ratio, shared = min(options, key=lambda o: o[:3])
        if shared:
            how = (
                f"x {ratio:.3f}, the {component} / {other} ratio over the "
                f"{_plural(shared, (kind or 'priced') + ' type')} both price in {region}"
            )
        else:
            worst, pairs = self._component_agreement(idx)
            if not pairs or worst > COMPONENT_AGREEMENT_MAX:
                return None
            how = (
                f"as is: no {component} price in {region} to compare; components priced a "
                f"type within {worst:.1%} of each other wherever two were known ({pairs} pairs)"
            )
        return Price(
            round(base.usd_per_hour * ratio, 4),
            "estimated",
            base.as_of,
            f"{itype} {other} price in {region} ({base.describe()}) {how}",
        )

    def _region_ratio(
        self, idx: _Index, region: str, other: str, fam: str, kind: Optional[str]
    ) -> Optional[tuple[float, int, str]]:
        """Median price ratio region / other over the (component, type) pairs both price:
        those of the family if any, else of the kind (at least MIN_KIND_SHARED)."""
        key = ("region", region, other, fam, kind)
        if key not in idx.memo:
            shared: dict[str, list[float]] = {"family": [], "kind": []}
            for (c, t), p in idx.by_region.get(region, {}).items():
                base = idx.prices.get((other, c, t))
                if not (base and base.usd_per_hour and p.usd_per_hour):
                    continue
                ratio = p.usd_per_hour / base.usd_per_hour
                if family(t) == fam:
                    shared["family"].append(ratio)
                if kind is not None and self.kind(t) == kind:
                    shared["kind"].append(ratio)
            found = None
            if shared["family"]:
                found = (statistics.median(shared["family"]), len(shared["family"]), fam)
            elif len(shared["kind"]) >= MIN_KIND_SHARED:
                found = (statistics.median(shared["kind"]), len(shared["kind"]), str(kind))
            idx.memo[key] = found
        return idx.memo[key]

    def _by_region(self, idx: _Index, region: str, component: str, itype: str) -> Optional[Price]:
        fam = family(itype)
        if not fam:
            return None
        kind = self.kind(itype)
        options = []
        for other in idx.by_region:
            if other == region:
                continue
            base = idx.prices.get((other, component, itype)) or self._by_component(
                idx, other, component, itype
            )
            if not base or not base.usd_per_hour:
                continue
            ratio = self._region_ratio(idx, region, other, fam, kind)
            if ratio is None:
                continue
            value, shared, over = ratio
            # a family ratio before a kind ratio, a known base before an estimated one,
            # then the most shared types, the newest base
            rank = (over != fam, base.source == "estimated", -shared, _newest_first(base), other)
            options.append((rank, other, base, value, shared, over))
        if not options:
            return None
        _, other, base, value, shared, over = min(options, key=lambda o: o[0])
        return Price(
            round(base.usd_per_hour * value, 4),
            "estimated",
            base.as_of,
            f"{itype} in {other} ({base.describe()}) x {value:.2f}, the {region} / {other} "
            f"ratio over the {_plural(shared, over + ' type')} both price",
        )

    def _by_family(self, idx: _Index, region: str, component: str, itype: str) -> Optional[Price]:
        fam, units, kind = family(itype), size_units(itype), self.kind(itype)
        if not fam or not units or kind is None:
            return None
        siblings = [
            (t, p)
            for (c, t), p in idx.by_region.get(region, {}).items()
            if c == component and t != itype and family(t) == fam and p.usd_per_hour
        ]
        if not siblings:
            return None
        if kind == "CPU":
            sib, base = min(
                siblings, key=lambda s: (abs(math.log((size_units(s[0]) or 1) / units)), s[0])
            )
            factor = units / (size_units(sib) or units)
            return Price(
                round((base.usd_per_hour or 0) * factor, 4),
                "estimated",
                base.as_of,
                f"{sib} in {region} ({base.describe()}) x {factor:g}: CPU types of a family "
                "are priced in proportion to their size",
            )
        return self._fit_family(region, component, itype, fam, siblings)

    def _fit_family(
        self,
        region: str,
        component: str,
        itype: str,
        fam: str,
        siblings: list[tuple[str, Price]],
    ) -> Optional[Price]:
        target = self._specs.get(itype)
        points = []
        for t, p in siblings:
            s = self._specs.get(t)
            if s is None or not s.accelerators:
                return None
            points.append((float(s.accelerators), float(s.vcpu), p.usd_per_hour or 0.0))
        if target is None or len(points) < FAMILY_FIT_MIN_PRICES:
            return None
        if not _inside(points, target.accelerators, target.vcpu):
            return None  # no extrapolation beyond the sizes fitted
        check = _fit_self_check(points)
        ab = _fit(points)
        if ab is None or check is None or check > FAMILY_FIT_MAX_ERROR:
            return None
        a, b = ab
        unit = "GPU" if target.gpu_count else "accelerator"
        dates = [p.as_of for _, p in siblings if p.as_of]
        return Price(
            round(a * target.accelerators + b * target.vcpu, 4),
            "estimated",
            min(dates) if dates else None,
            f"${a:.4g} per {unit} + ${b:.4g} per vCPU, fitted to the {len(points)} {fam} "
            f"{component} prices in {region}, each predicted within {check:.1%} when left out",
        )
