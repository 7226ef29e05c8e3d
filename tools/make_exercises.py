#!/usr/bin/env python
"""Generate exercises/weekNN_exercises.ipynb from solutions/ (the one source); --check fails when they are stale.

In a solution notebook, wrap each answer in ``# BEGIN SOLUTION`` / ``# END SOLUTION`` lines. The learner's copy gets
a stub in place of the region: each name assigned at the region's top level becomes ``name = None`` (an item or
attribute, ``df["share"] = ...``, becomes ``df["share"] = None``, so the learner's ``df`` is kept), each ``def``
keeps its signature and docstring with ``return None`` as body, ``# HINT:`` lines stay, and a TODO line marks the spot.
Code after a cell's last ``# END SOLUTION`` (its check) moves to a cell of its own in the learner's copy.
Markdown cells tagged ``solution-only`` are dropped. Outputs are stripped from both copies.
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
TODO = "# TODO: your code here (replace the None values / fill in the function)"


def _stub_for(region: list[str], indent: str) -> list[str]:
    """Stub lines for one solution region."""
    source = textwrap.dedent("".join(region))
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise SystemExit(f"Solution region does not parse ({exc}); fix it in solutions/ first.") from None
    lines = source.splitlines()
    hints = [i for i, line in enumerate(lines, 1) if line.strip().startswith("# HINT:")]
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]

    def inside(fn, lineno: int) -> bool:
        return fn.lineno <= lineno <= fn.end_lineno

    # A hint written inside a function stays inside the stub function (after its docstring); the others lead the stub.
    out = [indent + TODO + "\n"]
    out += [indent + lines[i - 1].strip() + "\n" for i in hints if not any(inside(fn, i) for fn in functions)]
    seen = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            header = ast.get_source_segment(source, node).splitlines()[0]
            out.append(indent + header + "\n")
            doc = ast.get_docstring(node)
            if doc:
                out.append(indent + "    " + chr(34) * 3 + doc + chr(34) * 3 + "\n")
            out += [indent + "    " + lines[i - 1].strip() + "\n" for i in hints if inside(node, i)]
            out.append(indent + "    return None\n")
            continue
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for t in targets:
            for line in _stub_targets(t, source, seen):
                out.append(indent + line + "\n")
    return out


def _stub_targets(target, source: str, seen: set) -> list[str]:
    """``name = None`` for a plain name; ``df["share"] = None`` / ``obj.x = None`` for an item or attribute (the
    learner's ``df`` stays as it was), dropped when the region itself assigns a name it uses (that name is None now)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [line for element in target.elts for line in _stub_targets(element, source, seen)]
    if isinstance(target, ast.Starred):
        return _stub_targets(target.value, source, seen)
    if isinstance(target, ast.Name):
        if target.id in seen:
            return []
        seen.add(target.id)
        return [f"{target.id} = None"]
    text = ast.get_source_segment(source, target)
    uses = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    if text in seen or uses & seen:
        return []
    seen.add(text)
    return [f"{text} = None"]


def split_check(src: str) -> tuple[str, str]:
    """A solution cell's source split after its last ``# END SOLUTION``: (the answer part, the check part)."""
    lines = src.splitlines(keepends=True)
    ends = [i for i, line in enumerate(lines) if END.match(line.rstrip("\n"))]
    if not ends or not "".join(lines[ends[-1] + 1:]).strip():
        return src, ""
    return "".join(lines[: ends[-1] + 1]), "".join(lines[ends[-1] + 1:]).strip("\n") + "\n"


def stub_source(src: str) -> str:
    """Replace every solution region in one cell's source with its stub."""
    lines = src.splitlines(keepends=True)
    out, i = [], 0
    while i < len(lines):
        m = BEGIN.match(lines[i].rstrip("\n"))
        if not m:
            if END.match(lines[i].rstrip("\n")):
                raise SystemExit("Found '# END SOLUTION' without a matching BEGIN.")
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not END.match(lines[j].rstrip("\n")):
            if BEGIN.match(lines[j].rstrip("\n")):
                raise SystemExit("Nested '# BEGIN SOLUTION' regions are not allowed.")
            j += 1
        if j == len(lines):
            raise SystemExit("'# BEGIN SOLUTION' without '# END SOLUTION'.")
        out += _stub_for(lines[i + 1 : j], m.group(1))
        i = j + 1
    return "".join(out)


def strip(nb: dict) -> dict:
    """Remove outputs, execution counts and volatile metadata."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def exercise_from_solution(nb: dict) -> dict:
    """The learner's notebook made from a solution notebook."""
    cells = []
    for cell in nb["cells"]:
        if "solution-only" in cell.get("metadata", {}).get("tags", []):
            continue
        cell = json.loads(json.dumps(cell))
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code":
            answer, check_part = split_check(src)
            src = stub_source(answer).rstrip("\n")
            if check_part:  # the learner's check gets a cell of its own, below the answer
                cells.append(dict(cell, source=src))
                cell = json.loads(json.dumps(cell))
                if "id" in cell:  # cell ids must stay unique (nbformat 4.5)
                    cell["id"] = f"{cell['id'][:58]}-check"
                src = check_part.rstrip("\n")
        elif cell["cell_type"] == "markdown":
            src = src.replace("(solutions)", "(exercises)")
            if "launch-link" in cell.get("metadata", {}).get("tags", []):  # tools/launch_links.py: open this copy
                src = src.replace("/solutions/", "/exercises/")
        cell["source"] = src
        cells.append(cell)
    out = dict(nb, cells=cells)
    out["metadata"] = dict(nb.get("metadata", {}), ai_pm_lab={"generated_from": "solutions", "do_not_edit": True})
    return strip(out)


def dumps(nb: dict) -> str:
    """Serialise a notebook the way the repository stores it."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if exercises/ is not what solutions/ generates")
    args = parser.parse_args(argv)
    stale = []
    sources = sorted((ROOT / "solutions").glob("week*_exercises.ipynb"))
    for src in sources:
        target = ROOT / "exercises" / src.name
        text = dumps(exercise_from_solution(json.loads(src.read_text(encoding="utf-8"))))
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target.relative_to(ROOT))
        else:
            target.parent.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    orphans = [p.relative_to(ROOT) for p in (ROOT / "exercises").glob("*.ipynb") if not (ROOT / "solutions" / p.name).exists()]
    if args.check and (stale or orphans):
        for p in stale:
            print(f"STALE: {p} differs from what solutions/{p.name} generates. Run: make exercises", file=sys.stderr)
        for p in orphans:
            print(f"ORPHAN: {p} has no source in solutions/. Delete it or add the solution notebook.", file=sys.stderr)
        return 1
    if args.check:
        print(f"exercises up to date ({len(sources)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
