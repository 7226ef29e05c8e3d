"""Run every benchmark module (or the ones named) and print their figures; exits non-zero if a target is missed."""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", choices=names + [[]], help=f"benchmarks to run (default: all of {names})")
    args = parser.parse_args(argv)
    missed = []
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"machine: {cores} cores, load average {load:.2f} (1 min)")
    if load > 0.5 * cores:
        print("WARNING: the machine is busy; llama.cpp threads spin-wait and slow down sharply when cores are shared,\n"
              "so speed figures from this run are unreliable. Close other work and run again.")
    for name in args.names or names:
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        environ = dict(os.environ)
        if name != "lessons":  # speeds are measured live, never read from the response cache (lessons runs kernels
            os.environ.setdefault("AI_PM_LAB_RESPONSE_CACHE", "off")  # as learners do: first run cold, second warm)
        try:
            result = module.run()
        finally:  # each benchmark starts from the environment the runner was started with
            os.environ.clear()
            os.environ.update(environ)
        for target, ok in (result or {}).items() if isinstance(result, dict) else []:
            print(f"  target {'met ' if ok else 'MISSED'}: {target}")
            if not ok:
                missed.append(f"{name}: {target}")
        print(f"  ({time.perf_counter() - start:.1f} s)")
    if missed:
        print("\nTargets missed:\n  " + "\n  ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
