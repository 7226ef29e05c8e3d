#!/usr/bin/env python
"""Write docs/knowledge_checks.md (every lesson's knowledge-check questions and answers) from the data files;
--check fails if the page is stale."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ai_pm_lab.knowledge import facilitator_page

PAGE = Path(__file__).resolve().parents[1] / "docs" / "knowledge_checks.md"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the page is not what the data files generate")
    args = parser.parse_args(argv)
    text = facilitator_page()
    current = PAGE.read_text(encoding="utf-8") if PAGE.is_file() else ""
    if args.check:
        if current != text:
            print(f"{PAGE.name} is stale. Run: python tools/make_knowledge_page.py", file=sys.stderr)
            return 1
        print(f"{PAGE.name} is up to date")
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print("wrote", PAGE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
