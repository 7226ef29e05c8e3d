"""One timer for every lesson benchmark: a lesson's wall-clock time under nbval (target: at most 180 s on 2 cores)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 180.0


def time_lesson(lesson: Path) -> tuple[float, int]:
    """Seconds to run ``lesson`` under nbval (one model thread, outputs in a scratch folder), and pytest's exit code."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env", str(lesson)]
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "AI_PM_LAB_THREADS": os.environ.get("AI_PM_LAB_THREADS", "1"), "AI_PM_LAB_OUTPUT_DIR": scratch}
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-1000:], sep="\n")
    return elapsed, proc.returncode


def lesson_benchmark(week: int, notebook: str):
    """A benchmark's ``run()`` for one lesson: prints its time under nbval and the load, returns {target: met}."""
    lesson = ROOT / "notebooks" / notebook

    def run() -> dict:
        load_before = os.getloadavg()[0]
        seconds, code = time_lesson(lesson)
        print(f"  week-{week} lesson under nbval: {seconds:.1f} s (target ≤ {TARGET_S:.0f} s), exit code {code}")
        print(f"  cores: {os.cpu_count()}, load average before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f}"
              " (other busy processes slow the local model several-fold)")
        return {f"week-{week} lesson runs under nbval in ≤ {TARGET_S:.0f} s": code == 0 and seconds <= TARGET_S,
                f"week-{week} lesson passes nbval": code == 0}

    run.__doc__ = f"Time the week-{week} lesson under nbval and return {{target: met}}."
    return run
