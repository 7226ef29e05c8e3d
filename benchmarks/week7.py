"""Week 7: wall-clock time of the whole week-7 lesson under nbval (target: at most 180 s on 2 cores)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "week07_frame_an_opportunity.ipynb"
TARGET_S = 180.0


def time_lesson() -> tuple[float, int]:
    """Seconds to run the week-7 lesson under nbval, and pytest's exit code."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env", str(LESSON)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-1000:], sep="\n")
    return elapsed, proc.returncode


def run() -> dict:
    """Print the lesson's runtime (and the machine's load, which slows llama.cpp a lot) and return {target: met}."""
    load_before = os.getloadavg()[0]
    seconds, code = time_lesson()
    print(f"  week-7 lesson under nbval: {seconds:.1f} s (target ≤ {TARGET_S:.0f} s), exit code {code}")
    print(f"  cores: {os.cpu_count()}, load average before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f}"
          " (other busy processes slow the local model several-fold)")
    return {f"week-7 lesson runs under nbval in ≤ {TARGET_S:.0f} s": code == 0 and seconds <= TARGET_S,
            "week-7 lesson passes nbval": code == 0}
