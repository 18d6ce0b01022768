"""The horizon the rules read (history/horizon.py, pure): phases of an hour, the busiest per
measure, kept hours at their mean for utilisation and their peak for memory and GPUs."""

from __future__ import annotations

from pathlib import Path

from support.nvml import FakeNvml

from jupyterlab_smcost.history import HOUR, MINUTE
from jupyterlab_smcost.history.horizon import horizon
from jupyterlab_smcost.pricing import PriceBook
from jupyterlab_smcost.recommend import recommend
from jupyterlab_smcost.usage import Aggregate, NvmlGpus, Reading

T0 = 1_800_000_000  # on a whole hour
BOOK = PriceBook()
G512 = "ml.g5.12xlarge"


def g5_reading(devices: list[tuple[int, float]], cpu: float = 0.05) -> Reading:
    return Reading(cpu, 48, 16.0, 192.0, NvmlGpus(FakeNvml(devices)).read())


def minutes(start: int, count: int, r: Reading) -> list[tuple[int, int, Aggregate]]:
    out = []
    for m in range(count):
        a = Aggregate()
        for _ in range(6):
            a.add(r)
        out.append((MINUTE, start + 60 * m, a))
    return out


ONE_GPU = g5_reading([(60, 9.0), (0, 0.0), (0, 0.0), (0, 0.0)])
FOUR_GPUS = g5_reading([(90, 20.0)] * 4)


def rules(kept: list[tuple[int, int, Aggregate]]) -> dict:
    raw = [(float(i * 10), ONE_GPU) for i in range(360)]
    h = horizon(7 * 86400, 3600, raw, T0 + 10 * 86400, kept, 10.0)
    out = recommend(
        h.summary,
        G512,
        BOOK.price("us-east-1", "Studio-JupyterLab", G512),
        BOOK.specs(G512),
        BOOK.table("us-east-1", "Studio-JupyterLab"),
    )
    return {"h": h, **out}


def test_one_gpu_all_along_gives_fewer_gpus() -> None:
    out = rules(minutes(T0 + 9 * 86400, 180, ONE_GPU))
    assert [i["rule"] for i in out["items"]] == ["fewer_gpus"]
    assert out["h"].phases == 4 and out["h"].summary.gpus_in_use_p95 == 1.0


def test_an_hour_on_four_gpus_days_ago_keeps_the_four() -> None:
    """A kept hour (older than the minutes) in which all four GPUs worked: its peak of GPUs
    in use counts, so fewer GPUs would not hold over the horizon."""
    hour = Aggregate()
    for i in range(360):
        hour.add(FOUR_GPUS if i < 20 else ONE_GPU)  # 20 samples of 360 on four GPUs
    kept = minutes(T0 + 9 * 86400, 180, ONE_GPU) + [(HOUR, T0 + 3 * 86400, hour)]
    out = rules(kept)
    assert not [i for i in out["items"] if i["rule"] in ("fewer_gpus", "smaller_gpu")]
    h = out["h"]
    assert h.summary.gpus_in_use_p95 == 4.0
    assert h.busiest["gpus_in_use"] == T0 + 3 * 86400
    assert h.overall.gpus_in_use_p50 == 1.0  # the average says one: the phase wins
    assert h.since == T0 + 3 * 86400


def test_a_kept_hour_counts_at_its_mean_cpu_and_its_peak_memory() -> None:
    hour = Aggregate()
    for i in range(360):  # one sample at 100% CPU; memory 100 GiB for a minute
        mem = 100.0 if i < 6 else 16.0
        hour.add(Reading(1.0 if i == 0 else 0.05, 48, mem, 192.0))
    h = horizon(7 * 86400, 3600, [], T0, [(HOUR, T0 - 5 * 86400, hour)], 10.0)
    assert round(h.summary.cpu_p95, 4) == round((1.0 + 359 * 0.05) / 360, 4)
    assert h.summary.mem_p95_gib == 100.0
    assert h.covered_s == 3600 and h.phases == 1


def test_read_by_index_and_cache_gives_what_reading_everything_gives(tmp_path: Path) -> None:
    """The server's path (sample counts first, only the hours not cached read) against the
    plain one, on a written file; a minute that gains samples is read again."""
    from jupyterlab_smcost.history import HistoryRecorder, HistoryStore
    from jupyterlab_smcost.history.horizon import horizon_of

    now = [float(T0 + 3 * 86400)]
    store = HistoryStore(tmp_path / "h.sqlite", clock=lambda: now[0])
    rec = HistoryRecorder(store, clock=lambda: now[0])
    rec.set_running([], G512)
    t = float(T0)
    for _ in range(3 * 8640):  # three days of 10 s samples, a busy hour on the second
        t += 10
        busy = T0 + 86400 + 7200 <= t < T0 + 86400 + 10800
        rec.on_sample(t, FOUR_GPUS if busy else ONE_GPU)
    now[0] = t
    rec.flush()
    cache: dict = {}

    def by_index() -> object:
        index = rec.kept_index(G512, 7 * 86400, 10.0, t + 60)
        load = lambda part: rec.load_kept(G512, part)  # noqa: E731
        return horizon_of(7 * 86400, 3600, [], t + 60, index, load, 10.0, cache)

    def plain() -> object:
        kept = rec.kept(G512, 7 * 86400, 10.0, t + 60)
        return horizon(7 * 86400, 3600, [], t + 60, kept, 10.0)

    first = by_index()
    assert first == plain() and len(cache) == first.phases
    assert first.summary.gpus_in_use_p95 == 4.0 and first.phases >= 72
    assert by_index() == first  # from the cache
    # the newest minute gains samples, busy ones: read again, and it shows
    for _ in range(6):
        rec.on_sample(t - 30, g5_reading([(90, 23.5)] * 4))
    rec.flush()
    again = by_index()
    assert again == plain() and again.summary.gpu_mem_max_gib == 23.5
