"""Build ``jupyterlab_smcost/data/prices.json`` from the gathered facts CSV.

Usage: python scripts/build_price_snapshot.py [CSV] [OUT]

Rules (see data/sources/SOURCES.md):
- a price row is kept only when its region and Price List component are stated;
  rows with an unstated region or a guessed component ("Studio-JupyterLab?") keep their
  specs but give no bundled price: the price book never guesses a region;
- specs come from this table, never from the Price List API's hardware attributes;
- ``as_of`` is the date the source states for the price.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
DEFAULT_CSV = HERE / "jupyterlab_smcost" / "data" / "sources" / "sagemaker_prices.csv"
DEFAULT_OUT = HERE / "jupyterlab_smcost" / "data" / "prices.json"

_DATE_PATTERNS = [
    (re.compile(r"published (\d{4}-\d{2}-\d{2})"), lambda m: m.group(1)),
    (re.compile(r"effective (\d{4}-\d{2}-\d{2})"), lambda m: m.group(1)),
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


def build(csv_path: Path) -> dict:
    specs: dict[str, dict] = {}
    prices: list[dict] = []
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            itype = row["instance_type"].strip()
            spec_src = row["source"].split("specs:", 1)[-1].strip()
            specs.setdefault(
                itype,
                {
                    "vcpu": int(row["vcpu"]),
                    "memory_gib": float(row["memory_gib"]),
                    "gpu_count": int(row["gpu_count"] or 0),
                    "gpu_model": row["gpu_model"] or None,
                    "gpu_memory_gib": float(row["gpu_memory_gib"] or 0),
                    "source": spec_src,
                },
            )
            region, component = row["region"].strip(), row["component"].strip()
            if not row["usd_per_hour"] or not region or not component or component.endswith("?"):
                continue
            prices.append(
                {
                    "region": region,
                    "component": component,
                    "type": itype,
                    "usd_per_hour": float(row["usd_per_hour"]),
                    "as_of": price_as_of(row["source"]),
                    "source": price_citation(row["source"]),
                }
            )
    prices.sort(key=lambda p: (p["region"], p["component"], p["type"]))
    return {
        "format": 1,
        "note": "Built by scripts/build_price_snapshot.py from data/sources/sagemaker_prices.csv",
        "specs": dict(sorted(specs.items())),
        "prices": prices,
    }


def main(argv: list[str]) -> None:
    csv_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_CSV
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    out.write_text(json.dumps(build(csv_path), indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
