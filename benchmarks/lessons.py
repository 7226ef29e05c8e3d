"""Every lesson notebook (notebooks/weekNN_*.ipynb, as many weeks as exist now) run in a fresh kernel with the local
model: wall time and the kernel's peak memory against the targets (each lesson <= 180 s on 2 cores, the heaviest < 1 GB)."""
from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from benchmarks.lesson_memory import measure_notebook  # the one measurement (also used by deploy/capacity.py)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSON = re.compile(r"week(\d\d)_.+\.ipynb$")
TIME_TARGET_S = 180.0
MEMORY_TARGET_MIB = 1024.0


def lessons() -> list[Path]:
    """The lesson notebooks present now, in week order (weeks still being written are simply absent)."""
    return sorted(p for p in NOTEBOOKS.glob("week*.ipynb") if LESSON.match(p.name))


@contextmanager
def learner_environment(output_dir: str):
    """The learner's default for the kernels started inside: no provider key or base URL (every cell runs on the
    local model), artefacts in a scratch folder. The runner's own environment is restored afterwards."""
    from ai_pm_lab.testing.offline import PROVIDER_VARS

    saved = dict(os.environ)
    try:
        for name in PROVIDER_VARS:
            os.environ.pop(name, None)
        os.environ["AI_PM_LAB_OUTPUT_DIR"] = output_dir
        os.environ.setdefault("MPLBACKEND", "Agg")
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run() -> dict:
    """Run each lesson, print its wall time and peak kernel memory, and return {target: met}."""
    found = lessons()
    if not found:
        print(f"  no lesson notebooks in {NOTEBOOKS}")
        return {"lesson notebooks present": False}
    threads = os.environ.get("AI_PM_LAB_THREADS") or "unset (the package default: all cores, at most 4)"
    print(f"  {len(found)} lessons, each in a fresh kernel via nbclient; local model, no provider keys; "
          f"AI_PM_LAB_THREADS {threads}")
    print(f"  targets: each lesson <= {TIME_TARGET_S:.0f} s (on 2 cores, quiet machine); heaviest kernel peak RSS "
          f"(VmHWM) < {MEMORY_TARGET_MIB:.0f} MiB")
    rows = []
    for path in found:
        load = os.getloadavg()[0]
        with tempfile.TemporaryDirectory() as scratch, learner_environment(scratch):
            r = measure_notebook(path)
        r.update(lesson=path.name, load=load)
        rows.append(r)
        status = "ok" if not r.get("errors") else f"FAILED CELLS: {', '.join(r['errors'])}"
        print(f"    {path.name:<42} wall {r['wall_s']:6.1f} s  CPU {r['cpu_s']:6.1f} s  peak RSS {r['peak_rss_mib']:7.1f} MiB"
              f"  (load before {load:.1f})  {status}", flush=True)
    slowest = max(rows, key=lambda r: r["wall_s"])
    heaviest = max(rows, key=lambda r: r["peak_rss_mib"])
    print(f"  slowest: {slowest['lesson']} {slowest['wall_s']:.1f} s; heaviest: {heaviest['lesson']} "
          f"{heaviest['peak_rss_mib']:.0f} MiB")
    if max(r["load"] for r in rows) > 0.5 * (os.cpu_count() or 1):
        print("  (the machine was busy during some lessons: their wall times are inflated; CPU seconds are less affected)")
    targets = {}
    for r in rows:
        ok = not r.get("errors")
        targets[f"{r['lesson']} runs without errors"] = ok
        targets[f"{r['lesson']} in <= {TIME_TARGET_S:.0f} s ({r['wall_s']:.0f} s)"] = ok and r["wall_s"] <= TIME_TARGET_S
    targets[f"heaviest lesson kernel < {MEMORY_TARGET_MIB:.0f} MiB ({heaviest['peak_rss_mib']:.0f} MiB, "
            f"{heaviest['lesson']})"] = heaviest["peak_rss_mib"] < MEMORY_TARGET_MIB
    return targets


if __name__ == "__main__":
    run()
