"""Command line: ``python -m ai_pm_lab doctor`` checks this machine's setup and names the fix for each problem."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from ai_pm_lab import doctor


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ai_pm_lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("doctor", help="check the setup: exit code 0 when every required check passes, else 1")
    run.add_argument("--json", action="store_true", help="print the checks as JSON")
    args = parser.parse_args(argv)
    checks = doctor.run_checks()
    if args.json:
        print(json.dumps([asdict(c) for c in checks], indent=1))
    else:
        print(doctor.report(checks))
        failed = [c.name for c in checks if c.required and not c.ok]
        print(f"\n{len(failed)} problem(s) to fix: {', '.join(failed)}" if failed else "\nReady: every required check "
              "passes.")
    return doctor.exit_code(checks)


if __name__ == "__main__":
    sys.exit(main())
