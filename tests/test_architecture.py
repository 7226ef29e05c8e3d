"""The package's structure, checked from its source, and docs/architecture.md held to it: no module uses another
module's private names and no test writes a module's private state; every widget follows the one error policy; no
module imports the package inside a function; only the exercise checks are named for a week; the page names every
package and module, names nothing that does not exist, and draws the layers of .importlinter (which import-linter
checks: see .importlinter)."""
import ast
import builtins
import importlib
import re

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


# ---------------------------------------------------------------- widgets: one error policy ---------------------------

WIDGETS = ROOT / PACKAGE / "widgets"


def policy_breaks(path) -> list[str]:
    """Where a widget module leaves the one error policy: a ``try`` with an ``except`` (work that can fail goes through
    ``self.attempt``; ``try/finally`` that only restores a control is allowed), or a widget class (one with
    ``_ipython_display_``) that does not subclass ``CourseWidget``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(ROOT)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))) and node.handlers:
            found.append(f"{rel}:{node.lineno} catches an exception itself (use self.attempt)")
        elif isinstance(node, ast.ClassDef):
            shows = any(isinstance(f, ast.FunctionDef) and f.name == "_ipython_display_" for f in node.body)
            bases = {ast.unparse(b).split(".")[-1] for b in node.bases}
            if shows and "CourseWidget" not in bases:
                found.append(f"{rel}:{node.lineno} widget {node.name} does not subclass CourseWidget")
    return found


def test_every_widget_follows_the_one_error_policy():
    modules = sorted(p for p in WIDGETS.glob("*.py") if p.name not in ("base.py", "__init__.py"))
    assert len(modules) >= 10  # the check reads the real widget modules
    problems = [p for path in modules for p in policy_breaks(path)]
    assert not problems, "route the work through CourseWidget.attempt (widgets/base.py):\n" + "\n".join(problems)


def test_the_error_policy_checker_catches_what_it_should():
    sample = ROOT / "tests" / "_policy_sample.py"
    sample.write_text("class A:\n    def update(self):\n        try:\n            1 / 0\n        except Exception:\n            pass\n"
                      "    def _ipython_display_(self):\n        pass\n"
                      "class B(base.CourseWidget):\n    def go(self):\n        try:\n            pass\n        finally:\n"
                      "            pass\n    def _ipython_display_(self):\n        pass\n", encoding="utf-8")
    try:
        found = policy_breaks(sample)
    finally:
        sample.unlink()
    assert len(found) == 2 and "catches" in found[0] + found[1] and "widget A does not subclass" in found[0] + found[1]


# ---------------------------------------------------------------- docs/architecture.md ------------------------------------

ARCHITECTURE = ROOT / "docs" / "architecture.md"


def package_parts() -> list[str]:
    """Every subpackage and top-level module of ai_pm_lab, as ``ai_pm_lab.<name>``."""
    top = ROOT / PACKAGE
    subpackages = [p.name for p in top.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    modules = [p.stem for p in top.glob("*.py") if not p.stem.startswith("__")]
    return sorted(f"{PACKAGE}.{name}" for name in subpackages + modules)


def test_architecture_page_names_every_package_and_module():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    parts = package_parts()
    assert {"ai_pm_lab.widgets", "ai_pm_lab.errors", "ai_pm_lab.rag"} <= set(parts)
    missing = [p for p in parts if not re.search(rf"`{re.escape(p)}(?![\w])", text)]
    assert not missing, f"add a row or a line for each to docs/architecture.md: {missing}"


def missing_names(text: str) -> list[str]:
    """Every `ai_pm_lab.x.y` the text names that is neither a module nor an attribute of one."""
    import importlib

    missing = []
    for name in sorted(set(re.findall(r"`(ai_pm_lab(?:\.\w+)+)", text))):
        parts = name.split(".")
        for i in range(len(parts), 0, -1):  # the longest importable module, then attributes below it
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            for attr in parts[i:]:
                obj = getattr(obj, attr, None)
            if obj is None:
                missing.append(name)
            break
    return missing


def test_every_name_the_architecture_page_gives_exists():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert len(set(re.findall(r"`(ai_pm_lab(?:\.\w+)+)", text))) > 30
    assert missing_names("`ai_pm_lab.catalog.served_model` and `ai_pm_lab.catalog.no_such_thing`") == \
        ["ai_pm_lab.catalog.no_such_thing"]
    missing = missing_names(text)
    assert not missing, f"docs/architecture.md names what the package does not have: {missing}"
    paths = sorted(set(re.findall(r"`(ai_pm_lab/[\w./]+?)`", text)))
    gone = [p for p in paths if not list(ROOT.glob(p.replace("NN", "[0-9][0-9]")))]  # weekNN: any week's file
    assert not gone, f"docs/architecture.md names paths that do not exist: {gone}"


def drawn_layers() -> list[set[str]]:
    """The layers drawn in docs/architecture.md's diagram, top first, each as the set of names in it."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    block = text.split("## Layers", 1)[1].split("```", 2)[1]
    layers = []
    for line in block.splitlines():
        names = re.split(r"\s{2,}", line.strip())[0]
        if names and not names.startswith("│"):
            layers.append(set(re.findall(r"[a-z_]+", names)))
    return layers


def importlinter_layers() -> list[set[str]]:
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    lines = [line.strip() for line in config["importlinter:contract:layers"]["layers"].splitlines() if line.strip()]
    return [{name.strip().removeprefix(f"{PACKAGE}.") for name in re.split(r"[|:]", line)} for line in lines]


def test_the_drawn_layers_are_the_importlinter_layers():
    drawn, contract = drawn_layers(), importlinter_layers()
    assert len(contract) >= 8 and {"widgets"} in contract
    assert drawn == contract, f"docs/architecture.md draws {drawn}\n.importlinter has {contract}"


def package_imports_inside_functions(path) -> list[str]:
    """Imports of an ai_pm_lab module (absolute or relative) inside a function of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                ours = (isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == PACKAGE)) \
                    or (isinstance(node, ast.Import) and any(a.name.split(".")[0] == PACKAGE for a in node.names))
                if ours:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports inside {fn.name}()")
    return found


def test_no_module_imports_the_package_inside_a_function():
    problems = [p for path in sorted((ROOT / PACKAGE).rglob("*.py")) for p in package_imports_inside_functions(path)]
    assert not problems, "import ai_pm_lab modules at the top of the module:\n" + "\n".join(problems)
    sample = ROOT / "tests" / "_import_sample.py"
    sample.write_text("import pandas\ndef f():\n    import numpy\n    from ai_pm_lab import cost\n    from . import x\n",
                      encoding="utf-8")
    try:
        assert len(package_imports_inside_functions(sample)) == 2
    finally:
        sample.unlink()


def test_only_the_exercise_checks_are_named_for_a_week():
    named = [p.relative_to(ROOT).as_posix() for p in (ROOT / PACKAGE).rglob("*") if re.search(r"week", p.name, re.I)
             and "__pycache__" not in p.parts]
    assert named and all(re.fullmatch(rf"{PACKAGE}/checks/week\d\d\.py", p) for p in named), named


def _raised_names(path):
    """(line, name) of every ``raise Name(...)`` / ``raise Name`` in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name):
                yield node.lineno, target.id


def _error_rule_breaks(package_dir, module_name_of) -> list[str]:
    """Raises of a class that is not defined in ai_pm_lab.errors (allowed exceptions aside), as 'file:line name'."""
    allowed = {NotImplementedError, SystemExit}
    breaks = []
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir.parent)
        if rel.parts[1] == "testing":
            continue
        module = importlib.import_module(module_name_of(rel))
        for line, name in _raised_names(path):
            cls = getattr(module, name, None) or getattr(builtins, name, None)
            if not isinstance(cls, type):
                continue  # a local variable holding an exception, or a function that builds one
            if cls in allowed or cls.__module__ == "ai_pm_lab.errors":
                continue
            breaks.append(f"{rel}:{line} {name}")
    return breaks


def test_every_error_the_package_raises_comes_from_the_errors_module():
    def module_name_of(rel):
        parts = list(rel.with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    breaks = _error_rule_breaks(ROOT / "ai_pm_lab", module_name_of)
    assert not breaks, "raise a class from ai_pm_lab.errors (InputError, InputTypeError, ...) instead:\n" + "\n".join(breaks)


def test_the_error_rule_checker_catches_a_bare_value_error(tmp_path, monkeypatch):
    pkg = tmp_path / "fakepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bad.py").write_text("def f(x):\n    if x is None:\n        raise ValueError('x is missing')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    breaks = _error_rule_breaks(pkg, lambda rel: ".".join(rel.with_suffix("").parts))
    assert breaks == ["fakepkg/bad.py:3 ValueError"]
