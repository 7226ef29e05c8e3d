"""The package's structure, checked from its source: no module uses another module's private names, and no test
writes a module's private state. (Layers and cycles are checked by import-linter: see .importlinter.)"""
import ast

from conftest import ROOT

PACKAGE = "ai_pm_lab"


def _module_name(path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(path) -> list[str]:
    """Places where ``path`` imports or reads a private name (``_x``) of another ai_pm_lab module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path) if path.is_relative_to(ROOT / PACKAGE) else None
    modules = {}  # local name -> ai_pm_lab module it refers to
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == PACKAGE and node.level == 0:
            for alias in node.names:
                if _private(alias.name) and node.module != here:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}.{alias.name}")
                modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    modules[alias.asname or alias.name.split(".")[0]] = alias.asname and alias.name or PACKAGE
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules and modules[base.id] != here:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("setattr", "setitem", "delattr") and node.args:
            target = node.args[0]
            if isinstance(target, ast.Constant) and isinstance(target.value, str) and target.value.startswith(PACKAGE):
                if any(_private(part) for part in target.value.replace(":", ".").split(".")):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} patches {target.value}")
            elif len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str) \
                    and _private(node.args[1].value) and isinstance(target, ast.Name) and target.id in modules:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} patches {target.id}.{node.args[1].value}")
    return found


def test_no_module_uses_another_modules_private_names():
    problems = [p for path in sorted((ROOT / PACKAGE).rglob("*.py")) for p in private_uses(path)]
    assert not problems, "make the name public (and document it) or move the code:\n" + "\n".join(problems)


def test_no_test_touches_a_modules_private_state():
    problems = [p for path in sorted((ROOT / "tests").glob("*.py")) for p in private_uses(path)]
    assert not problems, "use the module's public reset_*() or ScriptedModel instead:\n" + "\n".join(problems)


def test_the_checker_catches_what_it_should(tmp_path):
    sample = ROOT / "tests" / "_architecture_sample.py"
    sample.write_text("from ai_pm_lab.llm.local import _LOCK\nfrom ai_pm_lab import cost\ncost._TRACKER = None\n"
                      "def t(monkeypatch):\n    monkeypatch.setattr(cost, '_TRACKER', None)\n", encoding="utf-8")
    try:
        found = private_uses(sample)
    finally:
        sample.unlink()
    assert len(found) == 3 and "_LOCK" in found[0] and "cost._TRACKER" in found[1] and "cost._TRACKER" in found[2]
