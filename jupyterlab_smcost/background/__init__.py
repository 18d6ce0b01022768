"""Background work: sustained CPU or GPU use that no kernel or terminal shows.

On SageMaker the machine is the instance: a job left running with ``nohup ... &`` after its
terminal closed, a cron job, a training script on the GPU or a kernel's own threads are
somebody's work, and the idle shutdown must not kill them.

What counts, and how it is measured:

- **Jobs are process groups.** A shell puts each job in its own group (``python train.py &``,
  ``nohup ... &``), jupyter_client starts each kernel as a group leader, and workers forked by a
  job (a DataLoader's, a ``multiprocessing`` pool's) stay in its group. A group's CPU is the
  sum of its processes' user + system time (all their threads), so eight workers at 40% of a
  CPU each are one job at 3.2 CPUs. The group keeps its id when the terminal that started it
  closes and the job is re-parented to init, so a detached job still counts.
- **Not counted:** the Jupyter server's own process (its housekeeping: answering polls, and
  this extension's threads), kernel threads, zombies, and processes whose name is in the
  administrator's ignore list (system daemons such as ``amazon-ssm-agent``). The server's
  children are not housekeeping: kernels, terminals and whatever they start count.
- **Sustained, not a spike.** A group is *busy* when over the last ``window_s`` seconds it
  used on average at least ``cpu_threshold`` CPUs, and still did in the latest interval. A
  ``git status`` or a short ``pip install`` never lasts the window. GPUs: the same rule on
  NVML's utilisation with ``gpu_threshold``.
- **Starting work** (above the threshold in the latest interval, not yet for the window)
  neither blocks the clock nor counts as activity, but a shutdown that falls due waits for
  it to end or to last the window: a job started seconds before the deadline is not killed.
- **The end counts as activity** at the last sample that saw the work busy: once sustained
  work ends, the server stops one idle timeout later (not at a deadline that passed while
  the work ran).

Cost: one read of ``/proc/<pid>/stat`` per process per sample (psutil where there is no
``/proc``), on the usage sampler's thread, never on the event loop; and no scan at all when
the whole machine, less the Jupyter server itself, used fewer CPUs over the interval than
the threshold (then no process can be above it). ``benchmarks/bench_background_scan.py``
measures it.

Modules: :mod:`.work` (work, rules, reasons), :mod:`.procscan` (the process scan),
:mod:`.tracker` (the rule), :mod:`.detector` (on the sampler's thread).
"""

from __future__ import annotations

from .detector import BackgroundDetector, own_cpu_seconds
from .procscan import Proc, ProcScanner
from .tracker import Tracker
from .work import (
    BackgroundState,
    Rules,
    Work,
    describe_command,
    duration,
    load_text,
    reason,
    reason_message,
)

__all__ = [
    "BackgroundDetector",
    "BackgroundState",
    "Proc",
    "ProcScanner",
    "Rules",
    "Tracker",
    "Work",
    "describe_command",
    "duration",
    "load_text",
    "own_cpu_seconds",
    "reason",
    "reason_message",
]
