"""``python -m ai_pm_lab.catalog``: the price table with each row's status and, with a key or base URL, what is served.

This command-line entry point sits above every layer of the package: it is the one place in ai_pm_lab.catalog that
may ask the live check in ai_pm_lab.llm.availability (the table module itself never does).
"""
from __future__ import annotations

import argparse

import pandas as pd

from ai_pm_lab.catalog import MODELS_CSV, status_table
from ai_pm_lab.errors import CourseError
from ai_pm_lab.llm import availability
from ai_pm_lab.llm.backends import configured_backends, get_backend
from ai_pm_lab.settings import BASE_URL_VARS, KEY_VARS


def live_report(backends) -> list[str]:
    """Lines saying, per configured backend, which rows of the table its endpoint no longer serves."""
    lines = []
    for name in backends:
        try:
            engine = get_backend(name)
        except CourseError as exc:  # e.g. a malformed base URL: say so, keep printing the rest
            lines.append(f"{name}: not checked ({exc})")
            continue
        provider, result = availability.unserved_rows(engine)
        where = availability.endpoint_label(engine.endpoint)
        if isinstance(result, str):
            lines.append(f"{name}: could not ask {where} which models it serves ({result}).")
            continue
        gone = result.loc[~result["served now"], "model"].tolist()
        served = result.loc[result["served now"], "model"].tolist()
        lines.append(f"{name}: {where} serves {len(served)} of the table's {len(result)} {provider} rows"
                     + (f"; not served: {', '.join(gone)}" if gone else "") + ".")
        lines.append(availability.check_model(engine).message())
    return lines


def main(argv=None) -> int:
    """Print the table; with a key or base URL, also what the provider serves today."""
    parser = argparse.ArgumentParser(prog="python -m ai_pm_lab.catalog", description=f"The dated price table ({MODELS_CSV}).")
    parser.add_argument("--offline", action="store_true", help="do not ask any provider, even with a key set")
    args = parser.parse_args(argv)
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_columns", None):
        print(status_table().to_string(index=False))
    backends = [] if args.offline else configured_backends(hosted_only=True)
    if not backends:
        settable = " / ".join([*KEY_VARS.values(), BASE_URL_VARS["openai"]])
        print(f"\nNo key or base URL set (or --offline): nothing asked live. Set {settable} to check what a provider "
              "serves today.")
        return 0
    print()
    for line in live_report(backends):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
