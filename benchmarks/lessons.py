"""Every lesson notebook run in a fresh kernel with the local model at one thread (AI_PM_LAB_THREADS=1), for this
commit and for the commit before the fast-lessons work (a git worktree of it): kernel CPU seconds, wall time and the
kernel's peak memory, and a second run of this commit's lessons in a fresh kernel (the response cache now warm).

    python -m benchmarks lessons
    LESSONS_BEFORE=<commit> LESSONS_ONLY=week02,week05 python -m benchmarks lessons
    LESSONS_SIDE=before python -m benchmarks lessons        # only the before side, saved to build/lessons_before.json
    LESSONS_BEFORE_FROM=build/lessons_before.json python -m benchmarks lessons   # reuse that before side
    LESSONS_SIDE=after ...; LESSONS_AFTER_FROM=build/lessons_after.json ...       # the same for this commit's side

The two sides take a while on 2 cores, so the before side can be measured once and reused (the output says so).

Each first run starts with an empty output folder (and so an empty response and embedding cache): a fresh temporary
folder as AI_PM_LAB_OUTPUT_DIR and AI_PM_LAB_CACHE_DIR. The second run reuses that folder, as a learner's restart-and-run-
all does. The "before" side gets one run per lesson (it has no response cache, so a second run costs the same again).
Targets (issue 20): the eight first runs together <= 50 % of before; no first run over 120 CPU-s; every second run
<= 15 s wall; the heaviest kernel < 1 GiB. CPU-s is the main figure: on a shared machine wall time also counts the
waiting for a core.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.lesson_memory import measure_notebook  # the one measurement (also used by deploy/capacity.py)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSON = re.compile(r"week(\d\d)_.+\.ipynb$")
BEFORE_COMMIT = "537fb59"  # the commit before issue 20's work ("Fast lessons")
SHARE_TARGET = 0.50
FIRST_RUN_CPU_S = 120.0
WARM_WALL_S = 15.0
MEMORY_TARGET_MIB = 1024.0


def lessons(root: Path = ROOT) -> list[Path]:
    """The lesson notebooks of a checkout, in week order (LESSONS_ONLY=week02,week05 keeps some)."""
    found = sorted(p for p in (root / "notebooks").glob("week*.ipynb") if LESSON.match(p.name))
    only = [w.strip() for w in os.environ.get("LESSONS_ONLY", "").split(",") if w.strip()]
    return [p for p in found if not only or any(p.name.startswith(w) for w in only)]


@contextmanager
def learner_environment(output_dir: str, package_root: Path | None = None):
    """The learner's default for the kernels started inside: no provider key or base URL (every cell runs on the
    local model), one model thread, artefacts and caches in ``output_dir``; ``package_root`` (another checkout) is put
    first on PYTHONPATH so its kernel imports that checkout's package. The runner's environment is restored after."""
    from ai_pm_lab.testing.offline import PROVIDER_VARS

    saved = dict(os.environ)
    try:
        for name in (*PROVIDER_VARS, "AI_PM_LAB_EMBED_CACHE"):
            os.environ.pop(name, None)
        os.environ["AI_PM_LAB_OUTPUT_DIR"] = output_dir
        os.environ["AI_PM_LAB_CACHE_DIR"] = str(Path(output_dir) / "cache")
        os.environ["AI_PM_LAB_THREADS"] = "1"
        os.environ.setdefault("MPLBACKEND", "Agg")
        if package_root is not None:
            os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_root), saved.get("PYTHONPATH")]))
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def worktree(commit: str):
    """A temporary git worktree of ``commit`` (removed afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix="lessons-before-"))
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), commit], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


def _line(label: str, r: dict) -> str:
    status = "ok" if not r.get("errors") else f"FAILED CELLS: {', '.join(r['errors'])}"
    return (f"    {label:<44} CPU {r['cpu_s']:6.1f} s  wall {r['wall_s']:6.1f} s  peak {r['peak_rss_mib']:7.1f} MiB  "
            f"(load {r['load']:.1f})  {status}")


def _run(path: Path, scratch: str, package_root: Path | None) -> dict:
    load = os.getloadavg()[0]
    with learner_environment(scratch, package_root):
        r = measure_notebook(path)
    r.update(lesson=path.name, load=load)
    return r


def run_side(root: Path, *, warm: bool, package_root: Path | None = None) -> list[dict]:
    """First run of each lesson of ``root`` from an empty output folder (and, if ``warm``, a second fresh kernel on
    the same folder); one dict per lesson with 'first' (and 'warm')."""
    out = []
    for path in lessons(root):
        scratch = tempfile.mkdtemp(prefix="lessons-out-")
        try:
            row = {"lesson": path.name, "first": _run(path, scratch, package_root)}
            print(_line(path.name + " (first run)", row["first"]), flush=True)
            if warm:
                row["warm"] = _run(path, scratch, package_root)
                print(_line(path.name + " (second run)", row["warm"]), flush=True)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        out.append(row)
    return out


def targets(before: list[dict], after: list[dict]) -> dict:
    """{target: met} from both sides' runs."""
    out = {}
    for r in after:
        for kind in ("first", "warm"):
            if kind in r:
                out[f"{r['lesson']} {kind} run without errors"] = not r[kind].get("errors")
    cpu_before = sum(r["first"]["cpu_s"] for r in before)
    cpu_after = sum(r["first"]["cpu_s"] for r in after)
    share = cpu_after / cpu_before if cpu_before else float("nan")
    out[f"first runs together <= {SHARE_TARGET:.0%} of before ({cpu_after:.0f} of {cpu_before:.0f} CPU-s = "
        f"{share:.0%})"] = bool(share <= SHARE_TARGET) and len(before) == len(after)
    worst = max(after, key=lambda r: r["first"]["cpu_s"])
    out[f"no first run over {FIRST_RUN_CPU_S:.0f} CPU-s (most: {worst['lesson']} {worst['first']['cpu_s']:.0f})"] = \
        worst["first"]["cpu_s"] <= FIRST_RUN_CPU_S
    warm = [r for r in after if "warm" in r]
    if warm:
        slow = max(warm, key=lambda r: r["warm"]["wall_s"])
        out[f"every second run <= {WARM_WALL_S:.0f} s wall (most: {slow['lesson']} {slow['warm']['wall_s']:.1f} s)"] = \
            slow["warm"]["wall_s"] <= WARM_WALL_S
    peak = max((r[k] for r in after for k in ("first", "warm") if k in r), key=lambda x: x["peak_rss_mib"])
    out[f"heaviest kernel < {MEMORY_TARGET_MIB:.0f} MiB ({peak['peak_rss_mib']:.0f} MiB, {peak['lesson']})"] = \
        peak["peak_rss_mib"] < MEMORY_TARGET_MIB
    return out


def run() -> dict:
    """Both sides, one lesson at a time; prints each run and returns {target: met}."""
    commit = os.environ.get("LESSONS_BEFORE", BEFORE_COMMIT)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not lessons():
        print(f"  no lesson notebooks in {NOTEBOOKS}")
        return {"lesson notebooks present": False}
    print(f"  each lesson in a fresh kernel (nbclient); local model, no provider keys, AI_PM_LAB_THREADS=1; "
          f"{os.cpu_count()} cores")
    side = os.environ.get("LESSONS_SIDE")
    saved = os.environ.get("LESSONS_BEFORE_FROM")
    if side == "after":
        print(f"  after: this checkout ({head}{', with uncommitted changes' if _dirty() else ''}), first run from an "
              "empty cache, then a second run in a fresh kernel")
        after = run_side(ROOT, warm=True)
        AFTER_OUT.parent.mkdir(parents=True, exist_ok=True)
        AFTER_OUT.write_text(json.dumps({"measured_at": _now(), "machine": _machine(), "after_commit": head,
                                         "after": after}, indent=1) + "\n", encoding="utf-8")
        print(f"  after side saved: {AFTER_OUT.relative_to(ROOT)}")
        return {f"after side measured ({len(after)} lessons)": not any(r["first"].get("errors") for r in after)}
    if saved:
        stored = json.loads(Path(saved).read_text(encoding="utf-8"))
        commit, before = stored["before_commit"], stored["before"]
        print(f"  before: {commit}, measured at {stored['measured_at']} by an earlier run ({saved}):")
        for r in before:
            print(_line(r["lesson"] + " (first run)", r["first"]))
    else:
        print(f"  before: {commit} (git worktree, one run per lesson)")
        with worktree(commit) as tree:
            before = run_side(tree, warm=False, package_root=tree)
    if os.environ.get("LESSONS_SIDE") == "before":
        BEFORE_OUT.parent.mkdir(parents=True, exist_ok=True)
        BEFORE_OUT.write_text(json.dumps({"measured_at": _now(), "machine": _machine(), "before_commit": commit,
                                          "before": before}, indent=1) + "\n", encoding="utf-8")
        print(f"  before side saved: {BEFORE_OUT.relative_to(ROOT)}")
        return {f"before side measured ({len(before)} lessons without errors)": not any(r["first"].get("errors") for r in before)}
    saved_after = os.environ.get("LESSONS_AFTER_FROM")
    if saved_after:
        stored = json.loads(Path(saved_after).read_text(encoding="utf-8"))
        head, after = stored["after_commit"], stored["after"]
        print(f"  after: {head}, measured at {stored['measured_at']} by an earlier run ({saved_after}):")
        for r in after:
            print(_line(r["lesson"] + " (first run)", r["first"]))
            print(_line(r["lesson"] + " (second run)", r["warm"]))
    else:
        print(f"  after: this checkout ({head}{', with uncommitted changes' if _dirty() else ''}), first run from an "
              "empty cache, then a second run in a fresh kernel")
        after = run_side(ROOT, warm=True)
    _table(before, after)
    if max(r["first"]["load"] for r in before + after) > 0.5 * (os.cpu_count() or 1):
        print("  (the machine was busy during some runs: wall times are inflated; CPU seconds are less affected)")
    figures = {"measured_at": _now(), "machine": _machine(), "before_commit": commit, "after_commit": head,
               "before": before, "after": after}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    print(f"  figures: {OUT.relative_to(ROOT)} (python deploy/capacity.py --from-lessons {OUT.relative_to(ROOT)} --write)")
    return targets(before, after)


OUT = ROOT / "build" / "lessons_benchmark.json"
BEFORE_OUT = ROOT / "build" / "lessons_before.json"
AFTER_OUT = ROOT / "build" / "lessons_after.json"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def _machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load average "
            f"{os.getloadavg()[0]:.1f} at the end")


def _dirty() -> bool:
    out = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                         text=True).stdout
    return bool(out.strip())


def _table(before: list[dict], after: list[dict]) -> None:
    print(f"\n  {'lesson':<42} {'before CPU-s':>12} {'after CPU-s':>12} {'after/before':>12} {'2nd run wall s':>15}")
    by_name = {r["lesson"]: r for r in before}
    for r in after:
        b = by_name.get(r["lesson"])
        b_cpu = b["first"]["cpu_s"] if b else float("nan")
        print(f"  {r['lesson']:<42} {b_cpu:12.1f} {r['first']['cpu_s']:12.1f} {r['first']['cpu_s'] / b_cpu:12.0%} "
              f"{r['warm']['wall_s'] if 'warm' in r else float('nan'):15.1f}")
    tb = sum(r["first"]["cpu_s"] for r in before)
    ta = sum(r["first"]["cpu_s"] for r in after)
    print(f"  {'all lessons':<42} {tb:12.1f} {ta:12.1f} {ta / tb:12.0%}")


if __name__ == "__main__":
    for target, ok in run().items():
        print(f"  target {'met ' if ok else 'MISSED'}: {target}")
