"""nbval hooks, applied once a notebook's last cell has run (no notebook is executed twice):
- lessons (notebooks/): the prose states no figure that no cell printed;
- solutions/: every exercise check passes; exercises/: none passes on the unsolved stub."""
from __future__ import annotations

import re

import pytest

from ai_pm_lab.testing.honest_numbers import unsupported_claims

VERDICT = re.compile(r"^(PASS|NOT YET) (.+?): ", re.MULTILINE)  # CheckResult's text form
_PRINTED: dict[str, list[str]] = {}


def _text(outputs) -> str:
    parts = []
    for o in outputs or []:
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif o.get("output_type") in ("execute_result", "display_data"):
            data = o.get("data", {})
            parts += [str(data.get(m, "")) for m in ("text/markdown", "text/html", "text/plain")]
    return "\n".join(parts)


def notebook_verdicts(folder: str, name: str, printed: str, markdown: list[str]) -> list[str]:
    """What is wrong with one executed notebook, judged from its printed outputs (empty when all is well)."""
    problems = []
    if folder == "notebooks":
        missing = unsupported_claims(markdown, printed)
        if missing:
            problems.append(f"{name}: the prose states {', '.join(missing)} but no cell prints it. Print the figure from a "
                            "cell (e.g. display(Markdown(f'...'))) or reword without the number.")
    elif folder in ("solutions", "exercises"):
        verdicts = dict((ex, v) for v, ex in VERDICT.findall(printed))
        if not verdicts:
            problems.append(f"{name}: no exercise check ran (each exercise needs a check cell).")
        elif folder == "solutions" and any(v != "PASS" for v in verdicts.values()):
            problems.append(f"{name}: checks fail on the solution: {sorted(k for k, v in verdicts.items() if v != 'PASS')}")
        elif folder == "exercises" and any(v == "PASS" for v in verdicts.values()):
            problems.append(f"{name}: checks pass on the unsolved stub (a check that cannot fail): "
                            f"{sorted(k for k, v in verdicts.items() if v == 'PASS')}")
    return problems


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    if type(item).__name__ != "IPyNbCell":
        return
    key = str(item.parent.fspath)
    _PRINTED.setdefault(key, []).append(_text(getattr(item, "test_outputs", None)))
    if nextitem is not None and getattr(nextitem, "parent", None) is item.parent:
        return
    printed = "\n".join(_PRINTED.pop(key))
    if item.session.testsfailed:  # a failing cell already explains itself; a cut-short run proves nothing more
        return
    markdown = [c.source for c in item.parent.nb.cells if c.cell_type == "markdown"]
    problems = notebook_verdicts(item.parent.fspath.dirpath().basename, item.parent.fspath.basename, printed, markdown)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
