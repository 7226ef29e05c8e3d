"""The setup doctor: is this machine ready for the course? Each check names the problem and the command that fixes it.

``python -m ai_pm_lab doctor`` prints every check (exit code 1 when a required one fails); ``quick_check()`` at the
top of week 1 prints nothing when all is well and only the problems otherwise. Keys are never shown: a key's check
reports its length and which provider's key it looks like, nothing of the key itself.
"""
from __future__ import annotations

import importlib
import json
import os
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from ai_pm_lab import embeddings, settings
from ai_pm_lab.errors import ConfigurationError
from ai_pm_lab.llm import local

PYTHON, COURSE, LLAMA, MODEL = "Python", "Course installed", "llama.cpp (runs the local model)", "Local model file"
EMBEDDINGS, FAISS, WIDGETS, KEYS = "Embedding model", "FAISS (vector search)", "JupyterLab widget extension", "API keys"
BACKEND, MEMORY, BROWSER = "Backend and settings", "Free memory", "Test browser (developers only)"

COURSE_DIST = "ai-pm-lab"
FALLBACK_REQUIRES_PYTHON = ">=3.11"  # used only when the course's own metadata (pyproject.toml) cannot be read
MEASUREMENTS = Path(__file__).resolve().parents[1] / "deploy" / "measurements.json"  # python deploy/capacity.py --measure
CHROMIUM = "/usr/bin/chromium"  # the browser tools/browser_check.py drives (a test keeps the two paths equal)
WIDGET_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
KEY_PREFIXES = {"openai": "sk-", "anthropic": "sk-ant-"}  # what each provider's keys start with
KEY_KINDS = (("sk-ant-", "an Anthropic key (sk-ant-)"), ("sk-", "an OpenAI key (sk-)"), ("AIza", "a Google key (AIza)"))
MIN_KEY_LENGTH = 20  # every provider's real keys are longer; a shorter one was cut off when pasted
SETUP_HELP = "README, section Quick start"


@dataclass(frozen=True)
class Check:
    """One check's result: ``fix`` names the command to run when ``ok`` is False; optional checks only warn."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def pip(args: str) -> str:
    """A pip command for this environment's Python (the one the kernel or the command runs on)."""
    exe = Path(sys.executable)
    try:
        shown = str(exe.relative_to(Path.cwd()))
    except ValueError:
        shown = str(exe)
    return f"{shown} -m pip {args}"


def reinstall() -> str:
    return f"from the course folder run: {pip('install -r requirements.txt')} (or make lab)"


def _imports(module: str) -> str | None:
    """None when ``module`` imports, else the import error's message."""
    try:
        importlib.import_module(module)
    except ImportError as exc:  # a missing package, or a compiled library that does not load
        return str(exc) or f"{module} is missing"
    return None


def check_python(version: tuple | None = None) -> Check:
    """Is this Python new enough for the course (requires-python from the course's metadata)?"""
    from packaging.specifiers import SpecifierSet

    version = tuple(version or sys.version_info[:3])
    shown = ".".join(map(str, version))
    try:
        from importlib.metadata import metadata

        spec = metadata(COURSE_DIST)["Requires-Python"] or FALLBACK_REQUIRES_PYTHON
    except Exception:  # not installed: the course check reports that
        spec = FALLBACK_REQUIRES_PYTHON
    if SpecifierSet(spec).contains(shown, prereleases=True):
        return Check(PYTHON, True, f"Python {shown} ({spec})")
    need = spec.lstrip(">=~ ")
    return Check(PYTHON, False, f"Python {shown}, the course needs {spec}",
                 f"install Python {need} or newer (python.org, or your package manager), delete the .venv folder, "
                 f"then run make lab again")


def course_requirements() -> list[str]:
    """The course's own dependencies (Requires-Dist of the installed package), without the developer extras."""
    from importlib.metadata import requires

    return [r for r in requires(COURSE_DIST) or [] if "extra ==" not in r]


def check_course() -> Check:
    """Is the course package installed, with every dependency at a version it accepts?"""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    try:
        version(COURSE_DIST)
        wanted = course_requirements()
    except PackageNotFoundError:
        return Check(COURSE, False, f"the {COURSE_DIST} package is not installed in {sys.executable}", reinstall())
    problems = []
    for line in wanted:
        req = Requirement(line)
        try:
            have = version(req.name)
        except PackageNotFoundError:
            problems.append(f"{req.name} missing")
            continue
        if req.specifier and not req.specifier.contains(have, prereleases=True):
            problems.append(f"{req.name} {have} (needs {req.specifier})")
    if problems:
        return Check(COURSE, False, "; ".join(problems), reinstall())
    return Check(COURSE, True, f"{COURSE_DIST} {version(COURSE_DIST)} and its {len(wanted)} dependencies")


def compiler_fix() -> str:
    """What building llama-cpp-python needs on this operating system, and the ways around it."""
    system = platform.system()
    if system == "Windows":
        need = ("install Visual Studio Build Tools (workload 'Desktop development with C++') and CMake, or run the "
                "course in WSL2 (wsl --install, then follow the Linux steps)")
    elif system == "Darwin":
        need = "install Apple's command-line tools: xcode-select --install"
    else:
        need = "install a C/C++ compiler: sudo apt install build-essential cmake (Debian/Ubuntu)"
    return (f"llama-cpp-python is built from source on install: {need}; then {pip('install -r requirements.txt')}. "
            f"No compiler? Open the course in a Codespace / dev container or on Binder ({SETUP_HELP}).")


def check_llama() -> Check:
    """Does llama.cpp (llama-cpp-python) import, compiled library included?"""
    error = _imports("llama_cpp")
    if error:
        return Check(LLAMA, False, f"llama_cpp does not import: {error}", compiler_fix())
    from importlib.metadata import version

    return Check(LLAMA, True, f"llama-cpp-python {version('llama-cpp-python')}")


def check_model() -> Check:
    """Is the local model's GGUF file where the course loads it from?"""
    try:
        path = local.model_path()
    except ConfigurationError as exc:
        return Check(MODEL, False, "the local model's file is missing", str(exc))
    return Check(MODEL, True, f"{local.LOCAL_MODEL_ID}: {os.path.getsize(path) / 2**20:,.0f} MiB file")


def check_embeddings() -> Check:
    """Are the embedding model's files and its runtime (onnxruntime, tokenizers) installed?"""
    for module in ("onnxruntime", "tokenizers"):
        error = _imports(module)
        if error:
            return Check(EMBEDDINGS, False, f"{module} does not import: {error}", reinstall())
    try:
        embeddings.model_path()
        embeddings.tokenizer_path()
    except ConfigurationError as exc:
        return Check(EMBEDDINGS, False, "the embedding model's files are missing", str(exc))
    return Check(EMBEDDINGS, True, embeddings.MODEL_ID)


def check_faiss() -> Check:
    """Does FAISS import?"""
    error = _imports("faiss")
    if error:
        return Check(FAISS, False, f"faiss does not import: {error}", reinstall())
    return Check(FAISS, True, "faiss imports")


def labextension_dirs() -> list[Path]:
    """The folders JupyterLab reads prebuilt extensions from (this environment's and the user's)."""
    from jupyter_core.paths import jupyter_path

    return [Path(p) for p in jupyter_path("labextensions")]


def check_widgets() -> Check:
    """Is the JupyterLab side of ipywidgets installed, so sliders show as sliders and not as text?"""
    from importlib.metadata import PackageNotFoundError, version

    fix = (f"{pip('install --force-reinstall jupyterlab_widgets')}, then restart JupyterLab (Ctrl+C in its terminal, "
           f"then make lab) and reload the page")
    try:
        have = version("jupyterlab_widgets")
    except PackageNotFoundError:
        return Check(WIDGETS, False, "jupyterlab_widgets is not installed: widgets would show as plain text", fix)
    found = [d for d in labextension_dirs() if (d / WIDGET_EXTENSION / "package.json").is_file()]
    if not found:
        return Check(WIDGETS, False, f"jupyterlab_widgets {have} is installed but JupyterLab cannot find "
                                     f"{WIDGET_EXTENSION}", fix)
    return Check(WIDGETS, True, f"jupyterlab_widgets {have} ({found[0]})")


def key_kind(value: str) -> str:
    """Which provider's key a value looks like, from its prefix alone (nothing of the key is returned)."""
    return next((kind for prefix, kind in KEY_KINDS if value.startswith(prefix)), "no known key prefix")


def key_problems(provider: str, value: str) -> list[str]:
    """What is wrong with a key's shape (quotes, spaces, other characters, length, prefix); empty when it looks right."""
    problems = []
    if value[0] in "'\"" or value[-1] in "'\"":
        problems.append("has quote marks around it")
    if any(ch.isspace() for ch in value):
        problems.append("has a space or line break inside")
    if not value.isascii():
        problems.append("has a character that is not plain ASCII (a curly quote or dash pasted from a document?)")
    if settings.base_url(provider):  # a compatible server (Ollama, LM Studio, ...) accepts keys of its own shape
        return problems
    if len(value) < MIN_KEY_LENGTH:
        problems.append(f"is too short ({len(value)} characters): only part of it was copied")
    bare, prefix = value.strip("'\""), KEY_PREFIXES.get(provider)
    if provider == "openai" and bare.startswith(KEY_PREFIXES["anthropic"]):
        problems.append("looks like an Anthropic key: put it in ANTHROPIC_API_KEY")
    elif prefix and not bare.startswith(prefix):
        problems.append(f"does not start with {prefix} as {provider.capitalize()} keys do (it has {key_kind(bare)})")
    return problems


def check_keys() -> Check:
    """Is every key that is set well formed? Shown masked: length and prefix kind only."""
    seen, bad = [], []
    for provider, var in settings.KEY_VARS.items():
        value = settings.env(var)
        if not value:
            continue
        problems = key_problems(provider, value)
        seen.append(f"{var}: {len(value)} characters, {key_kind(value)}")
        if problems:
            bad.append((provider, var, f"{var} {', '.join(problems)}"))
    if not seen:
        return Check(KEYS, True, "none set: the local model answers (a key is optional)")
    if bad:
        fixes = "; ".join(f"ai_pm_lab.settings.prompt_for_key('{p}') in a notebook, or set {v}=<the key> in .env"
                          for p, v, _ in bad)
        return Check(KEYS, False, "; ".join(text for *_, text in bad),
                     f"copy the key again from the provider's page and paste it with no quotes or spaces: {fixes}; "
                     f"then restart the kernel")
    return Check(KEYS, True, "; ".join(seen))


def check_backend() -> Check:
    """Which backend answers, and are the course's settings (threads, context window, spend cap) readable?"""
    try:
        chosen = settings.choose_backend()
        settings.threads()
        settings.n_ctx()
        settings.spend_cap()
    except ConfigurationError as exc:
        return Check(BACKEND, False, "a course setting is not valid", str(exc))
    if chosen != "local" and chosen not in settings.hosted_backends():
        var = settings.KEY_VARS[chosen]
        return Check(BACKEND, False, f"{settings.BACKEND_VAR}={chosen} but {var} is not set",
                     f"set {var} (ai_pm_lab.settings.prompt_for_key('{chosen}') in a notebook, or {var}=<the key> "
                     f"in .env), or remove {settings.BACKEND_VAR} to use the local model")
    hosted = settings.hosted_backends()
    return Check(BACKEND, True, f"{chosen} answers; hosted backends set up: {', '.join(hosted) or 'none'}")


def heaviest_lesson(path: Path | None = None) -> tuple[str, float] | None:
    """The lesson whose kernel peaked highest in deploy/measurements.json, and that peak in MiB (None if not there)."""
    path = path or MEASUREMENTS
    if not path.is_file():
        return None
    notebooks = json.loads(path.read_text(encoding="utf-8"))["notebooks"]
    lessons = {name: row["peak_rss_mib"] for name, row in notebooks.items() if name.startswith("notebooks/")}
    return max(lessons.items(), key=lambda item: item[1]) if lessons else None


def available_memory_mib() -> float | None:
    """Memory a new kernel can use now, in MiB: MemAvailable, capped by a container's limit; None if unknown."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            found += [int(line.split()[1]) / 1024 for line in fh if line.startswith("MemAvailable:")]
    except OSError:
        try:
            import psutil

            found.append(psutil.virtual_memory().available / 2**20)
        except ImportError:
            try:
                found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20)
            except (ValueError, OSError, AttributeError):
                pass
    try:  # cgroup v2: a container's (Binder's, a hub's) own limit
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit.isdigit():
            found.append((int(limit) - int(used)) / 2**20)
    except OSError:
        pass
    return min(found) if found else None


def check_memory() -> Check:
    """Is there room for the heaviest lesson's kernel (its measured peak)? A warning, not a failure."""
    heaviest, free = heaviest_lesson(), available_memory_mib()
    if heaviest is None or free is None:
        return Check(MEMORY, True, "not measured on this install", required=False)
    lesson, peak = heaviest
    detail = f"{free:,.0f} MiB free; the heaviest lesson ({Path(lesson).stem}) peaked at {peak:,.0f} MiB"
    if free >= peak:
        return Check(MEMORY, True, detail, required=False)
    return Check(MEMORY, False, detail,
                 "close other programs and browser tabs, and shut down kernels you are done with (Kernel → Shut Down "
                 "Kernel, or the Running panel); or open the course in a Codespace or on Binder", required=False)


def check_browser() -> Check:
    """Playwright and Chromium for the real-browser test (developers only; the course runs without them)."""
    fix = "as root on Debian/Ubuntu: apt-get update && apt-get install -y chromium fonts-noto-color-emoji"
    if _imports("playwright"):
        return Check(BROWSER, False, "playwright is not installed", reinstall(), required=False)
    if not os.path.isfile(CHROMIUM):
        return Check(BROWSER, False, f"no browser at {CHROMIUM}", fix, required=False)
    return Check(BROWSER, True, f"playwright and {CHROMIUM}", required=False)


def run_checks(developer: bool = True) -> list[Check]:
    """Every check, in the order a problem should be fixed; ``developer=False`` leaves out the test browser."""
    checks = [check_python, check_course, check_llama, check_model, check_embeddings, check_faiss, check_widgets,
              check_keys, check_backend, check_memory]
    if developer:
        checks.append(check_browser)
    return [check() for check in checks]


def status(check: Check) -> str:
    return "ok" if check.ok else ("FAIL" if check.required else "warn")


def report(checks: list[Check]) -> str:
    """The checks as text: one line each, and the fix under each problem."""
    lines = []
    for check in checks:
        lines.append(f"[{status(check):>4}] {check.name}: {check.detail}")
        if not check.ok:
            lines.append(f"       fix: {check.fix}")
    return "\n".join(lines)


def table(checks: list[Check] | None = None):
    """The checks as a DataFrame (name, ok, required, detail, fix)."""
    import pandas as pd

    return pd.DataFrame([asdict(c) for c in (run_checks() if checks is None else checks)])


def exit_code(checks: list[Check]) -> int:
    """0 when every required check passes, else 1 (optional checks only warn)."""
    return 1 if any(c.required and not c.ok for c in checks) else 0


def quick_check() -> None:
    """For a lesson's first cell: print nothing when the setup is fine, else each problem and its fix."""
    problems = [c for c in run_checks(developer=False) if not c.ok]
    if problems:
        print("Setup check found something to fix (full report: python -m ai_pm_lab doctor):")
        print(report(problems))
