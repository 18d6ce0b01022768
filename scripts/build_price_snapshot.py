"""Build ``jupyterlab_smcost/data/prices.json`` from the gathered facts in ``data/sources/``.

Usage: python scripts/build_price_snapshot.py [OUT]

Inputs (see data/sources/SOURCES.md): the two price/spec tables ``sagemaker_prices.csv`` and
``sagemaker_prices_2.csv`` and ``specs_supplement.csv`` (vCPU/memory the tables leave blank).

Rules:
- a price row is kept only when its region and Price List component are stated; rows with
  an unstated region or a guessed component ("Studio-JupyterLab?": the source said
  "JupyterLab/CodeEditor" without naming the component) keep their specs but give no
  bundled price: the price book never guesses a region or a component;
- every kept price has a date its source states (``as_of``) and its citation (``source``);
  a price without a date stops the build;
- specs come from these tables, never from the Price List API's hardware attributes;
  ``gpu_memory_gib`` is the instance's total (sagemaker_prices.csv gives totals,
  sagemaker_prices_2.csv gives GPU memory per GPU: converted here and cross-checked);
- two rows that disagree about a type's specs, or two prices for one (region, component,
  type), stop the build: a conflict is resolved in the sources, not silently here.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
SOURCES = HERE / "jupyterlab_smcost" / "data" / "sources"
DEFAULT_OUT = HERE / "jupyterlab_smcost" / "data" / "prices.json"

#: each price table, and whether its gpu_memory_gib column is per GPU (else the total)
TABLES = (("sagemaker_prices.csv", False), ("sagemaker_prices_2.csv", True))
SUPPLEMENT = "specs_supplement.csv"
#: one name per GPU model (the tables spell the V100 two ways)
GPU_MODEL_ALIASES = {"NVIDIA V100": "NVIDIA Tesla V100"}

_DATE_PATTERNS = [
    (re.compile(r"(?:published|effective|fetched) (\d{4}-\d{2}-\d{2})"), lambda m: m.group(1)),
    (re.compile(r"as of (\d{4}-\d{2})\b"), lambda m: m.group(1)),
    (re.compile(r"Dec 2023"), lambda m: "2023-12"),
]


def price_as_of(source: str) -> str | None:
    for pattern, fmt in _DATE_PATTERNS:
        match = pattern.search(source)
        if match:
            return fmt(match)
    return None


def price_citation(source: str) -> str:
    """The price part of the source column (before ' ; specs:')."""
    return source.split(" ; specs:")[0].removeprefix("price: ").strip()


def spec_citation(source: str, table: str) -> str:
    """The specs part of the source column; the table itself where it names none."""
    for marker in ("; specs:", "specs only:"):
        if marker in source:
            return source.split(marker, 1)[1].strip()
    return f"{table} (well-known EC2 shapes, see data/sources/SOURCES.md)"


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def _row_specs(row: dict[str, str], table: str, per_gpu_memory: bool) -> dict[str, Any]:
    gpu_count = int(row["gpu_count"] or 0)
    gpu_mem = _number(row["gpu_memory_gib"]) or 0.0
    model = (row["gpu_model"] or "").strip() or None
    return {
        "vcpu": _number(row["vcpu"]),
        "memory_gib": _number(row["memory_gib"]),
        "gpu_count": gpu_count,
        "gpu_model": GPU_MODEL_ALIASES.get(model or "", model),
        "gpu_memory_gib": gpu_mem * gpu_count if per_gpu_memory else gpu_mem,
        "source": spec_citation(row["source"], table),
    }


def _merge_specs(specs: dict[str, dict[str, Any]], itype: str, new: dict[str, Any]) -> None:
    """Fill what is missing; stop on a disagreement."""
    old = specs.setdefault(itype, new)
    for key, value in new.items():
        if key == "source" or value is None:
            continue
        if old.get(key) is None:
            old[key] = value
            if new["source"] not in old["source"]:
                old["source"] = f"{old['source']} | {new['source']}"
        elif old[key] != value:
            raise ValueError(f"{itype}: {key} is {old[key]!r} in one source, {value!r} in another")


def build(sources: Path = SOURCES) -> dict[str, Any]:
    specs: dict[str, dict[str, Any]] = {}
    prices: dict[tuple[str, str, str], dict[str, Any]] = {}
    for table, per_gpu_memory in TABLES:
        with open(sources / table, newline="") as f:
            for row in csv.DictReader(f):
                itype = row["instance_type"].strip()
                _merge_specs(specs, itype, _row_specs(row, table, per_gpu_memory))
                region, component = row["region"].strip(), row["component"].strip()
                if not row["usd_per_hour"] or not region or not component or "?" in component:
                    continue
                as_of = price_as_of(row["source"])
                if not as_of:
                    raise ValueError(f"{table}: no date for the price of {itype} in {region}")
                key = (region, component, itype)
                if key in prices:
                    raise ValueError(f"{table}: a second price for {key}")
                prices[key] = {
                    "region": region,
                    "component": component,
                    "type": itype,
                    "usd_per_hour": float(row["usd_per_hour"]),
                    "as_of": as_of,
                    "source": price_citation(row["source"]),
                }
    with open(sources / SUPPLEMENT, newline="") as f:
        for row in csv.DictReader(f):
            itype = row["instance_type"].strip()
            if itype not in specs:
                raise ValueError(f"{SUPPLEMENT}: {itype} is in no price table")
            extra: dict[str, Any] = {
                "vcpu": float(row["vcpu"]),
                "memory_gib": float(row["memory_gib"]),
                "source": row["source"].strip(),
            }
            if row["accelerator_count"]:
                extra["accelerator_count"] = int(row["accelerator_count"])
                extra["accelerator_model"] = row["accelerator_model"].strip()
            _merge_specs(specs, itype, extra)
    for itype, s in specs.items():
        if s["vcpu"] is None or s["memory_gib"] is None:
            raise ValueError(f"{itype}: no vCPU/memory in any source")
        s["vcpu"] = int(s["vcpu"])
        s.setdefault("accelerator_count", 0)
        s.setdefault("accelerator_model", None)
        # a stable key order, the citation last
        specs[itype] = {k: s[k] for k in (*sorted(set(s) - {"source"}), "source")}
    return {
        "format": 2,
        "note": "Built by scripts/build_price_snapshot.py from data/sources/ "
        "(sagemaker_prices.csv, sagemaker_prices_2.csv, specs_supplement.csv)",
        "specs": dict(sorted(specs.items())),
        "prices": [prices[k] for k in sorted(prices)],
    }


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    out.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
