"""Week 5: wall-clock time of the whole evaluation lesson under nbval (target: at most 180 s on 2 cores)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "week05_evaluation.ipynb"
TARGET_S = 180.0


def time_lesson() -> tuple[float, int]:
    """Seconds to run the week-5 lesson under nbval (one model thread, outputs in a scratch folder), and the exit code."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env", str(LESSON)]
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "AI_PM_LAB_THREADS": os.environ.get("AI_PM_LAB_THREADS", "1"), "AI_PM_LAB_OUTPUT_DIR": scratch}
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-1000:], sep="\n")
    return elapsed, proc.returncode


def run() -> dict:
    """Print the lesson's runtime (and the machine's load, which slows llama.cpp a lot) and return {target: met}."""
    load_before = os.getloadavg()[0]
    seconds, code = time_lesson()
    print(f"  week-5 lesson under nbval: {seconds:.1f} s (target ≤ {TARGET_S:.0f} s), exit code {code}")
    print(f"  cores: {os.cpu_count()}, load average before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f}"
          " (other busy processes slow the local model several-fold)")
    return {f"week-5 lesson runs under nbval in ≤ {TARGET_S:.0f} s": code == 0 and seconds <= TARGET_S,
            "week-5 lesson passes nbval": code == 0}
