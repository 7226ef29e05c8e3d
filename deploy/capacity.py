#!/usr/bin/env python
"""Per-learner resources and learners per node, computed from the measured memory and CPU of the notebooks.

    python deploy/capacity.py             # print the capacity table from deploy/measurements.json
    python deploy/capacity.py --measure   # run every lesson and exercise notebook, record kernel peak memory and CPU
    python deploy/capacity.py --write     # regenerate deploy/capacity.md and the resource blocks in the deploy files
    python deploy/capacity.py --check     # fail if those files are not what the measurements give (make test runs it)
    python deploy/capacity.py --from-lessons build/lessons_benchmark.json --write
                                          # take the lessons' first and second (warm-cache) runs from
                                          # `python -m benchmarks lessons` instead of measuring them again

Nothing here is typed in: a learner's memory guarantee is the measured kernel peak (VmHWM) of the heaviest week's
lesson plus that week's exercise notebook (learners keep both open) plus the measured single-user server, with a
margin; the CPU guarantee is the measured CPU time of those two notebooks, run twice over a 90-minute session.
The rules and their constants are below, stated once.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.lesson_memory import measure_notebook, measure_server  # noqa: E402  (the one measurement)

MEASUREMENTS = ROOT / "deploy" / "measurements.json"
CAPACITY_MD = ROOT / "deploy" / "capacity.md"
VALUES = ROOT / "deploy" / "z2jh" / "values.yaml"
TLJH = ROOT / "deploy" / "tljh" / "install.sh"

# --- the rules (stated once; docs/deploy.md explains them) ------------------------------------------------------
MEMORY_MARGIN = 1.15          # on top of the measured peaks: allocator growth, a restarted kernel's overlap
MEMORY_STEP_MIB = 128         # guarantees are rounded up to this step
LIMIT_FACTOR = 1.5            # limit = guarantee x this (a third notebook, a re-run), rounded up to LIMIT_STEP_MIB
LIMIT_STEP_MIB = 256
RUNS_PER_SESSION = 2          # a learner runs each notebook about twice in a session (Run All, then widgets, re-runs)
SESSION_S = 90 * 60           # one workshop session
CPU_STEP = 0.05               # CPU guarantees are rounded up to this step
CPU_LIMIT = 2                 # burst: a learner's cell may use two cores when the node has them free
MYBINDER_GUARANTEE_MIB = 1024  # mybinder.org guarantees 1 GB and allows up to 2 GB per session

# Common node sizes (vCPU, GiB of RAM) and examples of each, for the table.
NODES = [
    (2, 8, "e2-standard-2 / m6i.large / D2s v5"),
    (4, 16, "e2-standard-4 / m6i.xlarge / D4s v5"),
    (8, 32, "e2-standard-8 / m6i.2xlarge / D8s v5"),
    (16, 64, "e2-standard-16 / m6i.4xlarge / D16s v5"),
    (8, 64, "e2-highmem-8 / r6i.2xlarge / E8s v5"),
]
DAEMONSET_CPU, DAEMONSET_MIB = 0.2, 300   # image puller, kube-proxy, CNI, logging agent on every node
TLJH_OVERHEAD_MIB, TLJH_OVERHEAD_CPU = 1024, 0.3  # the OS, JupyterHub, its proxy and the idle culler on a TLJH VM


def allocatable(vcpu: float, gib: float) -> tuple[float, float]:
    """CPU cores and MiB a Kubernetes node leaves for pods (GKE's published reservation rule; EKS/AKS are close)."""
    mem = gib * 1024
    reserved = 0.25 * min(mem, 4096) + 0.20 * min(max(mem - 4096, 0), 4096) + 0.10 * min(max(mem - 8192, 0), 8192) \
        + 0.06 * min(max(mem - 16384, 0), 114688) + 0.02 * max(mem - 131072, 0) + 100  # + eviction threshold
    cores = [0.06, 0.01, 0.005, 0.005] + [0.0025] * max(0, int(vcpu) - 4)
    cpu_reserved = sum(cores[: int(vcpu)])
    return vcpu - cpu_reserved - DAEMONSET_CPU, mem - reserved - DAEMONSET_MIB


def _round_up(x: float, step: float) -> float:
    return math.ceil(round(x / step, 6)) * step


# --- measuring --------------------------------------------------------------------------------------------------

def notebooks() -> list[Path]:
    """Every lesson and exercise notebook (weekNN_*), the ones a learner has open in a session."""
    return sorted((ROOT / "notebooks").glob("week[0-9][0-9]_*.ipynb")) + sorted((ROOT / "exercises").glob("week[0-9][0-9]_*.ipynb"))


def measure(paths: list[Path] | None = None) -> dict:
    """Measure every notebook (AI_PM_LAB_THREADS as set, default 1) and the server; the dict --measure stores."""
    os.environ.setdefault("AI_PM_LAB_THREADS", "1")
    results = {}
    for path in paths or notebooks():
        rel = path.relative_to(ROOT).as_posix()
        print(f"measuring {rel} ...", flush=True)
        results[rel] = measure_notebook(path)
        print(f"  {results[rel]}", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"load average {load:.1f} at the end" if load is not None else platform.machine(),
        "command": "python deploy/capacity.py --measure (AI_PM_LAB_THREADS=%s)" % os.environ["AI_PM_LAB_THREADS"],
        "server_rss_mib": measure_server(),
        "notebooks": results,
    }


# --- deriving ---------------------------------------------------------------------------------------------------

def week_of(rel: str) -> str:
    return re.search(r"week(\d\d)", rel).group(1)


def per_week(m: dict) -> dict:
    """{week: {lesson, exercises, peak_mib (lesson + exercises kernels), cpu_s}} from the measurements."""
    weeks: dict = {}
    for rel, r in m["notebooks"].items():
        w = weeks.setdefault(week_of(rel), {"lesson_mib": 0.0, "exercises_mib": 0.0, "cpu_s": 0.0, "lesson_wall_s": 0.0})
        kind = "lesson" if rel.startswith("notebooks/") else "exercises"
        w[f"{kind}_mib"] = r["peak_rss_mib"]
        w["cpu_s"] += r["cpu_s"]
        if kind == "lesson":
            w["lesson_wall_s"], w["lesson_cpu_s"] = r["wall_s"], r["cpu_s"]
            w["measured_lesson"] = True
            if "warm_cpu_s" in r:  # a second Run All in a fresh kernel, the response cache warm
                w["warm_cpu_s"], w["warm_wall_s"] = r["warm_cpu_s"], r["warm_wall_s"]
    for w in weeks.values():
        w["kernels_mib"] = w["lesson_mib"] + w["exercises_mib"]
    return dict(sorted(weeks.items()))


def resources(m: dict) -> dict:
    """Per-learner guarantees and limits derived from the measurements (the rules above)."""
    weeks = per_week(m)
    heavy_mem = max(weeks, key=lambda w: weeks[w]["kernels_mib"])
    heavy_cpu = max(weeks, key=lambda w: weeks[w]["cpu_s"])
    need = weeks[heavy_mem]["kernels_mib"] + m["server_rss_mib"]
    guarantee = int(_round_up(need * MEMORY_MARGIN, MEMORY_STEP_MIB))
    limit = int(_round_up(guarantee * LIMIT_FACTOR, LIMIT_STEP_MIB))
    cpu = round(max(CPU_STEP, _round_up(weeks[heavy_cpu]["cpu_s"] * RUNS_PER_SESSION / SESSION_S, CPU_STEP)), 2)
    return {"memory_guarantee_mib": guarantee, "memory_limit_mib": limit, "cpu_guarantee": cpu, "cpu_limit": CPU_LIMIT,
            "threads": CPU_LIMIT, "heaviest_memory_week": heavy_mem, "heaviest_cpu_week": heavy_cpu, "need_mib": round(need),
            "heaviest_lesson_mib": max(w["lesson_mib"] for w in weeks.values()),
            "heaviest_lesson_week": max(weeks, key=lambda w: weeks[w]["lesson_mib"])}


def capacity_rows(m: dict) -> list[dict]:
    r = resources(m)
    weeks = per_week(m)
    burst_cpu_s = max(w.get("lesson_cpu_s", 0.0) for w in weeks.values())
    warm_cpu_s = max((w["warm_cpu_s"] for w in weeks.values() if "warm_cpu_s" in w), default=None)
    rows = []
    for vcpu, gib, examples in NODES:
        cpu, mib = allocatable(vcpu, gib)
        by_mem = int(mib // r["memory_guarantee_mib"])
        by_cpu = int(round(cpu / r["cpu_guarantee"], 6))
        n = max(0, min(by_mem, by_cpu))
        rows.append({"node": f"{vcpu} vCPU / {gib} GiB", "examples": examples, "learners": n,
                     "limited_by": "memory" if by_mem <= by_cpu else "CPU",
                     "run_all_min": round(n * burst_cpu_s / max(cpu, 0.1) / 60, 1) if n else None,
                     "warm_run_all_min": round(n * warm_cpu_s / max(cpu, 0.1) / 60, 1) if n and warm_cpu_s is not None
                     else None})
    return rows


def tljh_rows(m: dict) -> list[dict]:
    r = resources(m)
    rows = []
    for vcpu, gib, examples in NODES[:4]:
        mib, cpu = gib * 1024 - TLJH_OVERHEAD_MIB, vcpu - TLJH_OVERHEAD_CPU
        n = max(0, min(int(mib // r["memory_guarantee_mib"]), int(round(cpu / r["cpu_guarantee"], 6))))
        rows.append({"vm": f"{vcpu} vCPU / {gib} GiB", "learners": n})
    return rows


def _gib(mib: float) -> str:
    return f"{mib / 1024:.2f}".rstrip("0").rstrip(".") + " GiB"


def capacity_markdown(m: dict) -> str:
    r = resources(m)
    weeks = per_week(m)
    lines = [
        "# Capacity: how many learners fit on a machine",
        "",
        "<!-- Generated by `python deploy/capacity.py --write` from deploy/measurements.json. Do not edit by hand. -->",
        "",
        f"Measured {m['measured_at']} on {m['machine']} with `{m['command']}`.",
        "Each notebook ran in a fresh kernel; memory is the kernel's peak resident set (VmHWM), CPU is user + system time.",
        "",
        "| week | lesson kernel peak | exercises kernel peak | both open | CPU time, both notebooks once | lesson wall time "
        "| lesson second run (warm cache): CPU / wall |",
        "|---|---|---|---|---|---|---|",
    ]
    def mib(x):
        return f"{x:.0f} MiB" if x else "not measured"

    for w, v in weeks.items():
        lines.append(f"| {w} | {mib(v['lesson_mib'])} | {mib(v['exercises_mib'])} | {v['kernels_mib']:.0f} MiB | "
                     f"{v['cpu_s']:.0f} s | {(str(round(v['lesson_wall_s'])) + ' s') if v.get('measured_lesson') else '-'} | "
                     + (f"{v['warm_cpu_s']:.0f} s / {v['warm_wall_s']:.0f} s |" if "warm_cpu_s" in v else "- |"))
    missing = [p.relative_to(ROOT).as_posix() for p in notebooks() if p.relative_to(ROOT).as_posix() not in m["notebooks"]]
    failed = [k for k, v in m["notebooks"].items() if v.get("errors")]
    if missing:
        lines += ["", f"**Not measured yet** (the figures below may be low): {', '.join(missing)}. "
                      "Run `python deploy/capacity.py --measure` and `--write`."]
    if failed:
        lines += ["", f"**Cells failed while measuring** (re-measure once fixed): {', '.join(failed)}."]
    lines += [
        "",
        f"JupyterLab server (one per learner): {m['server_rss_mib']:.0f} MiB.",
        f"Heaviest lesson kernel: week {r['heaviest_lesson_week']}, {r['heaviest_lesson_mib']:.0f} MiB "
        f"({'under' if r['heaviest_lesson_mib'] < MYBINDER_GUARANTEE_MIB else 'OVER'} the 1 GB mybinder.org guarantees).",
        "",
        "## Per learner",
        "",
        f"- **Memory guarantee {r['memory_guarantee_mib']} MiB**: week {r['heaviest_memory_week']}'s lesson and exercise "
        f"kernels plus the server ({r['need_mib']} MiB), times {MEMORY_MARGIN}, rounded up to {MEMORY_STEP_MIB} MiB.",
        f"- **Memory limit {r['memory_limit_mib']} MiB**: the guarantee times {LIMIT_FACTOR}, rounded up to {LIMIT_STEP_MIB} MiB "
        f"(a learner who opens a third notebook is slowed by the node, not killed, until this).",
        f"- **CPU guarantee {r['cpu_guarantee']:g}**: week {r['heaviest_cpu_week']}'s CPU time for both notebooks, "
        f"{RUNS_PER_SESSION} runs over a {SESSION_S // 60}-minute session, rounded up to {CPU_STEP:g}.",
        f"- **CPU limit {r['cpu_limit']}** and `AI_PM_LAB_THREADS={r['threads']}` (the local model must not start more "
        f"threads than the cores it may use: llama.cpp threads spin-wait and slow down sharply when they share a core).",
        "",
        "## Zero to JupyterHub: learners per user node",
        "",
        "Allocatable = node minus Kubernetes' reservation (GKE's published rule) minus "
        f"{DAEMONSET_CPU:g} CPU / {DAEMONSET_MIB} MiB of per-node daemons. Learners = the smaller of allocatable "
        "memory / memory guarantee and allocatable CPU / CPU guarantee. \"Run All at once\" is how long the heaviest "
        "lesson's Run All takes when every learner on the node presses it at the same moment (its measured CPU time "
        "shared over the node's cores): on a first run, and on a second run once the response cache is warm (a "
        "restart-and-run-all, or a room whose image ships the cache warm).",
        "",
        "| user node | for example | learners | limited by | Run All at once: first run | warm run |",
        "|---|---|---|---|---|---|",
    ]
    for row in capacity_rows(m):
        burst = f"~{row['run_all_min']:g} min" if row["run_all_min"] is not None else "-"
        warm = f"~{row['warm_run_all_min']:g} min" if row.get("warm_run_all_min") is not None else "-"
        lines.append(f"| {row['node']} | {row['examples']} | **{row['learners']}** | {row['limited_by']} | {burst} | {warm} |")
    lines += [
        "",
        "Nodes for a room: learners ÷ learners per node, rounded up, plus one. Hub and proxy run on a separate small "
        "core node. Keep `scheduling.userPlaceholder.replicas` at a few learners' worth so late arrivals start at once.",
        "",
        "## The Littlest JupyterHub: learners per VM",
        "",
        f"One VM runs everything: {_gib(TLJH_OVERHEAD_MIB)} and {TLJH_OVERHEAD_CPU:g} CPU go to the OS, the hub and its "
        "proxy; the rest is shared by learners at the same per-learner guarantee.",
        "",
        "| VM | learners |",
        "|---|---|",
    ]
    lines += [f"| {row['vm']} | **{row['learners']}** |" for row in tljh_rows(m)]
    return "\n".join(lines) + "\n"


# --- writing the deploy files -------------------------------------------------------------------------------------

BEGIN = "# >>> resources from deploy/capacity.py (measured; regenerate with: python deploy/capacity.py --write)"
END = "# <<< resources"


def values_block(m: dict) -> str:
    r = resources(m)
    return "\n".join([
        f"  {BEGIN}",
        "  memory:",
        f"    guarantee: {r['memory_guarantee_mib']}M",
        f"    limit: {r['memory_limit_mib']}M",
        "  cpu:",
        f"    guarantee: {r['cpu_guarantee']:g}",
        f"    limit: {r['cpu_limit']}",
        "  extraEnv:",
        f"    AI_PM_LAB_THREADS: \"{r['threads']}\"",
        f"  {END}",
    ])


def tljh_block(m: dict) -> str:
    r = resources(m)
    return "\n".join([
        BEGIN,
        f"MEMORY_LIMIT={r['memory_limit_mib']}M",
        f"CPU_LIMIT={r['cpu_limit']}",
        f"THREADS={r['threads']}",
        END,
    ])


def _replace_block(text: str, block: str, path: Path) -> str:
    pattern = re.compile(r"[ \t]*" + re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{path}: the marked resources block ('{BEGIN}' ... '{END}') is missing.")
    return pattern.sub(lambda _: block, text, count=1)


def generated(m: dict) -> dict[Path, str]:
    """Every file this script owns (or owns a block of), as it should read."""
    return {
        CAPACITY_MD: capacity_markdown(m),
        VALUES: _replace_block(VALUES.read_text(encoding="utf-8"), values_block(m), VALUES),
        TLJH: _replace_block(TLJH.read_text(encoding="utf-8"), tljh_block(m), TLJH),
    }


def merge_lessons(m: dict, bench: dict) -> dict:
    """The measurements with each lesson's figures replaced by the benchmark's runs of this commit: first run (from an
    empty cache) for CPU and wall, the larger kernel peak of both runs, and the warm second run's CPU and wall."""
    m = json.loads(json.dumps(m))
    for r in bench["after"]:
        first, warm = r["first"], r.get("warm")
        entry = {"cpu_s": first["cpu_s"], "wall_s": first["wall_s"],
                 "peak_rss_mib": max(first["peak_rss_mib"], warm["peak_rss_mib"] if warm else 0.0)}
        if warm:
            entry.update(warm_cpu_s=warm["cpu_s"], warm_wall_s=warm["wall_s"])
        if first.get("errors") or (warm or {}).get("errors"):
            entry["errors"] = (first.get("errors") or []) + ((warm or {}).get("errors") or [])
        m["notebooks"][f"notebooks/{r['lesson']}"] = entry
    m["measured_at"] = bench["measured_at"]
    m["machine"] = bench["machine"]
    exercises = m.setdefault("exercises_command", m["command"])  # the measurement the lessons' figures are merged into
    m["command"] = (f"python -m benchmarks lessons at {bench['after_commit']} (lessons, AI_PM_LAB_THREADS=1; first run "
                    f"from an empty cache, then a second run) and {exercises} (exercises, server)")
    return m


def load(path: Path = MEASUREMENTS) -> dict:
    if not path.exists():
        raise SystemExit(f"{path} is missing: run python deploy/capacity.py --measure first.")
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--measure", action="store_true", help="run the notebooks and store deploy/measurements.json")
    ap.add_argument("--write", action="store_true", help="regenerate capacity.md and the deploy files' resource blocks")
    ap.add_argument("--check", action="store_true", help="fail if the generated files are stale")
    ap.add_argument("--from-lessons", type=Path, metavar="JSON",
                    help="merge the lessons' first and warm runs from `python -m benchmarks lessons` (its JSON)")
    ap.add_argument("notebooks", nargs="*", type=Path, help="with --measure: only these notebooks (merged into the file)")
    args = ap.parse_args(argv)
    if args.from_lessons:
        merged = merge_lessons(load(), json.loads(args.from_lessons.read_text(encoding="utf-8")))
        MEASUREMENTS.write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MEASUREMENTS.relative_to(ROOT)} (lessons from {args.from_lessons})")
    if args.measure:
        paths = [p.resolve() for p in args.notebooks] or None
        fresh = measure(paths)
        if paths and MEASUREMENTS.exists():  # a partial re-measure keeps the other notebooks' figures
            old = load()
            old["notebooks"].update(fresh["notebooks"])
            fresh["notebooks"] = dict(sorted(old["notebooks"].items()))
        MEASUREMENTS.write_text(json.dumps(fresh, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MEASUREMENTS.relative_to(ROOT)}")
    m = load()
    missing = [p.relative_to(ROOT).as_posix() for p in notebooks() if p.relative_to(ROOT).as_posix() not in m["notebooks"]]
    files = generated(m)
    if args.check:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for p in stale:
            print(f"STALE: {p.relative_to(ROOT)} is not what deploy/measurements.json gives. Run: python deploy/capacity.py --write",
                  file=sys.stderr)
        for rel in missing:  # capacity.md lists them too; tests/test_deploy.py fails on them separately
            print(f"note: {rel} is not measured yet. Run: python deploy/capacity.py --measure {rel}", file=sys.stderr)
        return 1 if stale else 0
    if args.write or args.measure:
        for p, text in files.items():
            if not p.exists() or p.read_text(encoding="utf-8") != text:
                p.write_text(text, encoding="utf-8")
                print(f"wrote {p.relative_to(ROOT)}")
    print(capacity_markdown(m))
    for rel in missing:
        print(f"note: {rel} has not been measured yet (python deploy/capacity.py --measure {rel})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
