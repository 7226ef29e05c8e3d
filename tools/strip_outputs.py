#!/usr/bin/env python
"""Strip outputs and execution counts from every committed notebook; --check fails if any still carry them."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from make_exercises import dumps, strip  # noqa: E402


def notebooks(paths=None) -> list[Path]:
    """Notebooks to look at: the given paths, else every notebook git tracks or that sits in the course folders."""
    if paths:
        return [Path(p) for p in paths if str(p).endswith(".ipynb")]
    found = set()
    try:
        listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        found |= {ROOT / p for p in listed.split()}
    except (OSError, subprocess.CalledProcessError):
        pass
    for folder in ("notebooks", "exercises", "solutions"):
        found |= set((ROOT / folder).glob("*.ipynb"))
    return sorted(p for p in found if p.exists() and ".ipynb_checkpoints" not in p.parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args(argv)
    dirty = []
    for path in notebooks(args.paths):
        text = path.read_text(encoding="utf-8")
        clean = dumps(strip(json.loads(text)))
        if text != clean:
            dirty.append(path)
            if not args.check:
                path.write_text(clean, encoding="utf-8")
    for p in dirty:
        print(("CARRIES OUTPUTS: " if args.check else "stripped ") + str(p.relative_to(ROOT) if p.is_absolute() else p),
              file=sys.stderr if args.check else sys.stdout)
    if args.check and dirty:
        print("Run: make strip", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
