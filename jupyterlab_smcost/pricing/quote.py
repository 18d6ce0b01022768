"""The price book's types and instance-type names: :class:`Price`, :class:`Specs`, the
Price List component spellings, the family and size of a type name."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Optional

SOURCES = ("live", "bundled", "estimated", "unknown")
HOURS_PER_DAY = 24.0
HOURS_PER_MONTH = 730.0  # AWS's own convention for monthly estimates


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

TYPE_RE = re.compile(r"^ml\.([a-z0-9-]+)\.(\d*)(nano|micro|small|medium|large|xlarge|metal)$")
_SIZE_UNITS = {"nano": 0.125, "micro": 0.25, "small": 0.5, "medium": 0.5, "large": 1.0}


def canonical_component(name: str) -> Optional[str]:
    """The Price List spelling of a component name given in any case; None if unknown."""
    folded = name.strip().casefold()
    return next((c for c in COMPONENTS if c.casefold() == folded), None)


def component_key(name: str) -> str:
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


def size_units(instance_type: str) -> Optional[float]:
    """Relative size from the type name: large=1, xlarge=2, 4xlarge=8; None if unparsable."""
    m = TYPE_RE.match(instance_type)
    if not m:
        return None
    mult, size = m.group(2), m.group(3)
    if size == "xlarge":
        return 2.0 * (int(mult) if mult else 1)
    if size == "metal":
        return None
    return _SIZE_UNITS[size]


def family(instance_type: str) -> Optional[str]:
    m = TYPE_RE.match(instance_type)
    return m.group(1) if m else None
