"""Price book: bundled snapshot, estimates, unknown (the live path: aws/test_price_fetch.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.pricelist import product
from support.rest import write_price_cache

from jupyterlab_smcost.pricing import (
    LivePriceCache,
    PriceBook,
    canonical_component,
    load_bundled,
    parse_price_list_item,
    size_units,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def book() -> PriceBook:
    return PriceBook()


def test_bundled_price_carries_source_and_date(book: PriceBook) -> None:
    p = book.price("us-east-1", "Studio-JupyterLab", "ml.m5.xlarge")
    assert (p.per_hour, p.source, p.as_of) == (0.23, "bundled", "2026-09-24")
    assert "price list" in p.detail.lower()
    s = book.specs("ml.m5.xlarge")
    assert (s.vcpu, s.memory_gib, s.gpu_count) == (4, 16.0, 0)


def test_gpu_specs_come_from_the_bundled_table(book: PriceBook) -> None:
    s = book.specs("ml.g6.xlarge")  # the Price List API says 16 vCPU: wrong
    assert (s.vcpu, s.gpu_count, s.gpu_model, s.gpu_memory_gib) == (4, 1, "NVIDIA L4", 24.0)


def test_estimate_from_another_component_is_labelled(book: PriceBook) -> None:
    # us-east-1 has no Studio-Notebook rows; Studio-JupyterLab/Notebook exist for ml.t3.medium
    p = book.price("us-east-1", "Studio-Notebook", "ml.t3.medium")
    assert (p.per_hour, p.source, p.as_of) == (0.05, "estimated", "2026-09-24")
    assert p.detail.startswith("ml.t3.medium Studio-JupyterLab price in us-east-1 ($0.05/h")
    assert "no Studio-Notebook price in us-east-1 to compare" in p.detail


def test_component_estimate_uses_the_measured_ratio(book: PriceBook) -> None:
    # eu-west-1 Hosting vs Studio-JupyterLab: measured on the GPU types both price
    p = book.price("eu-west-1", "Hosting", "ml.g5.2xlarge")
    assert p.source == "estimated"
    assert p.per_hour == pytest.approx(1.69 * 7.91 / 7.92, rel=0.01)
    assert "the Hosting / Studio-JupyterLab ratio over the" in p.detail


def test_studio_codeeditor_prices_as_jupyterlab(book: PriceBook) -> None:
    p = book.price("ap-northeast-1", "studio-codeeditor", "ml.g5.2xlarge")
    assert (p.per_hour, p.source) == (2.2, "estimated")
    assert "ml.g5.2xlarge Studio-JupyterLab price in ap-northeast-1" in p.detail


def test_region_estimate_scales_by_the_family_ratio(book: PriceBook) -> None:
    """ap-northeast-1 marks GPU types up more than CPU types: a GPU type takes its family's
    ratio (g5: 1.45), not one ratio for the whole region."""
    g5 = book.price("ap-northeast-1", "Studio-JupyterLab", "ml.g5.4xlarge")
    assert g5.source == "estimated"
    assert g5.per_hour == pytest.approx(2.03 * 1.45, rel=0.005)
    assert g5.detail.startswith("ml.g5.4xlarge in us-east-1 ($2.03/h, bundled 2026-09-24) x 1.45")
    assert "the ap-northeast-1 / us-east-1 ratio over the 6 g5 types both price" in g5.detail
    m5 = book.price("ap-northeast-1", "Studio-JupyterLab", "ml.m5.2xlarge")
    assert m5.per_hour / 0.461 == pytest.approx(1.29, abs=0.02)


def held_out(region: str, component: str, itype: str) -> tuple[PriceBook, float]:
    """A book without one bundled price, and that price."""
    snap = load_bundled()
    (true,) = [
        p["usd_per_hour"]
        for p in snap["prices"]
        if (p["region"], p["component"], p["type"]) == (region, component, itype)
    ]
    rest = [
        p
        for p in snap["prices"]
        if (p["region"], p["component"], p["type"]) != (region, component, itype)
    ]
    return PriceBook({**snap, "prices": rest}), true


def test_region_estimate_falls_back_to_the_kind_ratio() -> None:
    # no other p4d price in ap-northeast-2: the ratio of the closest GPU family instead
    # (same maker and generation: NVIDIA Ampere, g5; tests/unit/test_price_ranges.py)
    book, true = held_out("ap-northeast-2", "Studio-JupyterLab", "ml.p4d.24xlarge")
    p = book.estimate("ap-northeast-2", "Studio-JupyterLab", "ml.p4d.24xlarge")
    assert "NVIDIA Ampere (g5) types both price" in p.detail
    assert abs(p.per_hour / true - 1) < 0.15


def test_cpu_family_estimate_is_linear_in_size(book: PriceBook) -> None:
    p = book.price("us-east-1", "Studio-JupyterLab", "ml.m5.8xlarge")
    assert (p.per_hour, p.source) == (pytest.approx(1.844), "estimated")
    assert p.detail.startswith("ml.m5.4xlarge in us-east-1 ($0.922/h, bundled 2026-09-24) x 2")


def test_gpu_family_estimate_fits_the_family_not_a_line() -> None:
    """Held out of us-east-1 Hosting, ml.g5.4xlarge from its g5 neighbours: linear in size
    from ml.g5.2xlarge would say 3.03 (49% high)."""
    book, true = held_out("us-east-1", "Hosting", "ml.g5.4xlarge")
    p = book.estimate("us-east-1", "Hosting", "ml.g5.4xlarge", rules=("family",))
    assert abs(p.per_hour / true - 1) < 0.05
    assert "per GPU" in p.detail and "per vCPU, fitted to the 6 g5 Hosting prices" in p.detail


@pytest.mark.parametrize(
    "itype",
    [
        "ml.inf2.8xlarge",  # only one size could check the fit: linear said 7.92 for 2.36
        "ml.g4dn.16xlarge",  # more vCPUs than any g4dn the fit saw: no extrapolation
    ],
)
def test_gpu_family_estimate_refuses_what_it_cannot_check(itype: str) -> None:
    book, _ = held_out("us-east-1", "Hosting", itype)
    assert book.estimate("us-east-1", "Hosting", itype, rules=("family",)) is None


def test_unknown_when_nothing_to_go_on(book: PriceBook) -> None:
    p = book.price("ap-south-1", "Notebook", "ml.p3.2xlarge")
    assert (p.per_hour, p.source) == (None, "unknown")
    assert "no Notebook price is known for ml.p3.2xlarge in ap-south-1" in p.detail
    assert book.price("us-east-1", "Notebook", "not-a-type").source == "unknown"


def test_rows_with_unstated_region_give_no_price(book: PriceBook) -> None:
    # ml.p3.8xlarge appears only in sources that state no region (and a guessed component):
    # specs yes, price no, and nothing close enough to estimate one
    assert book.specs("ml.p3.8xlarge").gpu_count == 4
    assert book.price("us-east-1", "Studio-JupyterLab", "ml.p3.8xlarge").source == "unknown"
    assert book.price("us-east-1", "Studio-JupyterLab", "ml.c5.9xlarge").source != "bundled"


def test_hosting_in_us_east_1_is_bundled_with_its_source(book: PriceBook) -> None:
    p = book.price("us-east-1", "Hosting", "ml.g5.xlarge")
    assert (p.per_hour, p.source, p.as_of) == (1.4084, "bundled", "2025-01")
    assert "foundation-model-benchmarking-tool" in p.detail
    assert len(book.table("us-east-1", "Hosting")) == 29


def test_every_type_the_data_names_has_specs(book: PriceBook) -> None:
    snap = load_bundled()
    names = {p["type"] for p in snap["prices"]}
    for path in ("sagemaker_prices.csv", "sagemaker_prices_2.csv"):
        text = (ROOT / "jupyterlab_smcost" / "data" / "sources" / path).read_text()
        names |= {line.split(",")[1] for line in text.splitlines()[1:]}
    for name in names:
        s = book.specs(name)
        assert s is not None and s.vcpu > 0 and s.memory_gib > 0, name
    # GPU memory is the instance's total in both tables (the second gives it per GPU)
    assert book.specs("ml.g5.48xlarge").gpu_memory_gib == 8 * 24
    assert book.specs("ml.g5.12xlarge").gpu_memory_gib == 4 * 24
    assert book.specs("ml.inf2.24xlarge").accelerators == 6
    assert book.kind("ml.inf2.24xlarge") == "GPU"


def test_total_of_several_apps(book: PriceBook) -> None:
    p = book.total("us-east-1", "Studio-Notebook", ["ml.t3.medium", "ml.g5.xlarge"])
    assert (p.per_hour, p.source) == (pytest.approx(1.46), "estimated")
    assert p.detail.startswith("sum of 2 apps: ml.t3.medium $0.05/h estimated")
    one = book.total("us-east-1", "Studio-JupyterLab", ["ml.t3.medium"])
    assert one == book.price("us-east-1", "Studio-JupyterLab", "ml.t3.medium")
    missing = book.total("us-east-1", "Studio-JupyterLab", ["ml.t3.medium", "ml.zz9.large"])
    assert (missing.per_hour, missing.source) == (None, "unknown")
    assert "ml.zz9.large" in missing.detail


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("studio-codeeditor", "studio-codeeditor"),
        ("Studio-CodeEditor", "studio-codeeditor"),
        ("hosting", "Hosting"),
        (" STUDIO-JUPYTERLAB ", "Studio-JupyterLab"),
        ("SpotTraining", None),
    ],
)
def test_canonical_component(given: str, canonical: str | None) -> None:
    assert canonical_component(given) == canonical


def test_the_book_matches_components_in_any_case(tmp_path: Path) -> None:
    """A server configured with ``local_price_component = "hosting"`` gets Hosting prices,
    live ones too (the cache file is keyed as configured)."""
    items = {"ml.g5.xlarge": {"usd_per_hour": 1.5, "as_of": "2026-11-20"}}
    write_price_cache(tmp_path, "us-east-1", "hosting", items)
    cache = LivePriceCache(tmp_path, client_factory=lambda: None)
    book = PriceBook(live=cache)
    book.load_live("us-east-1", "hosting")
    assert book.price("us-east-1", "hosting", "ml.g5.xlarge").per_hour == 1.5
    assert book.price("us-east-1", "HOSTING", "ml.g5.xlarge").source == "live"
    assert book.price("us-east-1", "hosting", "ml.g5.2xlarge").per_hour == 1.515
    assert len(book.table("us-east-1", "hosting")) == 29


def test_size_units() -> None:
    assert size_units("ml.m5.large") == 1
    assert size_units("ml.m5.xlarge") == 2
    assert size_units("ml.m5.12xlarge") == 24
    assert size_units("ml.t3.medium") == 0.5
    assert size_units("weird") is None


def build_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_snapshot", ROOT / "scripts" / "build_price_snapshot.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_snapshot_is_what_the_build_script_makes() -> None:
    assert build_module().build() == load_bundled()


@pytest.mark.parametrize(
    ("table", "edit", "message"),
    [
        (
            "sagemaker_prices_2.csv",
            (",48,192,4,NVIDIA A10G,24,", ",48,192,4,NVIDIA A10G,20,"),
            "gpu_memory_gib",
        ),
        ("sagemaker_prices.csv", ("published 2026-09-24", "published recently"), "no date"),
    ],
    ids=["conflicting specs", "undated price"],
)
def test_the_build_stops_on_bad_sources(
    tmp_path: Path, table: str, edit: tuple, message: str
) -> None:
    import shutil

    sources = tmp_path / "sources"
    shutil.copytree(ROOT / "jupyterlab_smcost" / "data" / "sources", sources)
    path = sources / table
    text = path.read_text()
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ValueError, match=message):
        build_module().build(sources)


def test_parse_ignores_non_hourly_and_zero() -> None:
    assert (
        parse_price_list_item(product("us-east-1", "Notebook", "ml.t3.medium", "0.05")).per_hour
        == 0.05
    )
    assert (
        parse_price_list_item(product("us-east-1", "Notebook", "ml.t3.medium", "0.1", "GB-Mo"))
        is None
    )
    assert parse_price_list_item(product("us-east-1", "Notebook", "ml.t3.medium", "0.0")) is None


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    cache = LivePriceCache(tmp_path, client_factory=lambda: None)
    (tmp_path / "prices-us-east-1__Notebook.json").write_text("{not json")
    assert cache.load("us-east-1", "Notebook") is None
    assert PriceBook(live=cache).price("us-east-1", "Notebook", "ml.t3.medium").source == "bundled"
