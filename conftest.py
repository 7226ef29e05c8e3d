"""nbval hooks, applied once a notebook's last cell has run (no notebook is executed twice):
- lessons (notebooks/): the prose states no figure that no cell printed;
- solutions/: every exercise check passes; exercises/: none passes on the unsolved stub;
- every notebook: one more item after its cells, "computed verdicts", asks the same kernel for the verdicts it
  recorded (``ai_pm_lab.verdicts``): each must agree with its rule re-applied to its numbers, and (lessons and
  solutions) every ``verdict("<id>"`` in the notebook's code must have been reached."""
from __future__ import annotations

import ast
import json
import re
import time

import pytest

from ai_pm_lab.testing.honest_numbers import unsupported_claims
from ai_pm_lab.verdicts import named_in, recheck

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
    if type(nextitem).__name__ == "IPyNbCell" and nextitem.parent is item.parent:
        return
    printed = "\n".join(_PRINTED.pop(key))
    if item.session.testsfailed:  # a failing cell already explains itself; a cut-short run proves nothing more
        return
    markdown = [c.source for c in item.parent.nb.cells if c.cell_type == "markdown"]
    problems = notebook_verdicts(item.parent.fspath.dirpath().basename, item.parent.fspath.basename, printed, markdown)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# ------------------------------------------------------------------ computed verdicts ----------------------------------
NOTEBOOK_FOLDERS = ("notebooks", "solutions", "exercises")
_RECORDED = ("__import__('json').dumps(__import__('sys').modules['ai_pm_lab.verdicts'].recorded() "
             "if 'ai_pm_lab.verdicts' in __import__('sys').modules else [])")  # evaluated in the notebook's kernel


def computed_verdict_problems(folder: str, name: str, source: str, records: list[dict]) -> list[str]:
    """What is wrong with the verdicts one executed notebook recorded (empty when all is well): a record whose holds or
    text its numbers do not give; in lessons and solutions, a ``verdict("<id>"`` the code names that never ran (an
    exercise stub may stop short of one)."""
    problems = [f"{name}: {p}" for r in records for p in recheck(r)]
    if folder != "exercises":
        reached = {r.get("id") for r in records}
        never = [i for i in named_in(source) if i not in reached]
        if never:
            problems.append(f"{name}: the code names verdict(s) {never} but none was recorded when the notebook ran: "
                            "each verdict must be computed and shown on every run (not inside an if that may skip it).")
    return problems


def kernel_records(kernel, timeout: float = 60) -> list[dict]:
    """The verdicts a running nbval kernel recorded (``ai_pm_lab.verdicts.recorded()`` evaluated in it)."""
    msg_id = kernel.kc.execute("", silent=False, store_history=False, user_expressions={"records": _RECORDED})
    deadline = time.monotonic() + timeout
    while True:
        reply = kernel.get_message(stream="shell", timeout=max(1.0, deadline - time.monotonic()))
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    kernel.await_idle(msg_id, timeout)
    value = reply["content"].get("user_expressions", {}).get("records", {})
    if value.get("status") != "ok":
        raise RuntimeError(f"the kernel could not list its verdicts: {value.get('ename')}: {value.get('evalue')}")
    return json.loads(ast.literal_eval(value["data"]["text/plain"]))


class ComputedVerdicts(pytest.Item):
    """Runs after a notebook's cells, in its kernel: its verdicts agree with their numbers, and each was reached."""

    def runtest(self):
        nbfile = self.parent
        if self.nodeid.split("::")[0] in _FAILED_FILES:  # a failing cell explains itself; a cut-short run proves no more
            pytest.skip("a cell of this notebook failed")
        kernel = getattr(nbfile, "kernel", None)
        if kernel is None or not kernel.is_alive():
            pytest.skip("the notebook's kernel is not running")
        source = "\n".join(c.source for c in nbfile.nb.cells if c.cell_type == "code")
        problems = computed_verdict_problems(nbfile.fspath.dirpath().basename, nbfile.fspath.basename, source,
                                             kernel_records(kernel))
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    def reportinfo(self):
        return self.path, None, f"{self.parent.fspath.basename}: computed verdicts"


_FAILED_FILES: set[str] = set()


def pytest_runtest_logreport(report):
    """Remember which notebooks had a failing cell (its computed-verdicts item is then skipped, not failed)."""
    if report.failed:
        _FAILED_FILES.add(report.nodeid.split("::")[0])


# nbval waits a hard-coded 5 s for each output message after a cell's reply (computationalmodelling/nbval#136, #231);
# on a busy machine (nbval beside the real-browser test on 2 cores) a kernel can take longer to send them.
OUTPUT_TIMEOUT_S = 60


def pytest_collection_modifyitems(session, config, items):
    """After the last cell of each notebook in notebooks/, solutions/ or exercises/, one ComputedVerdicts item (same
    file, so the same xdist worker under --dist loadfile, and the same kernel); every cell waits OUTPUT_TIMEOUT_S for
    its outputs."""
    last = {}
    for i, item in enumerate(items):
        if type(item).__name__ == "IPyNbCell":
            item.output_timeout = max(getattr(item, "output_timeout", 0), OUTPUT_TIMEOUT_S)
        if type(item).__name__ == "IPyNbCell" and item.parent.fspath.dirpath().basename in NOTEBOOK_FOLDERS:
            last[item.parent] = i
    for parent, i in sorted(last.items(), key=lambda kv: -kv[1]):
        items.insert(i + 1, ComputedVerdicts.from_parent(parent, name="computed verdicts"))
