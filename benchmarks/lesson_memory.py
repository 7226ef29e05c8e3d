"""Kernel peak memory (VmHWM) and CPU time of every lesson and exercise notebook, each in a fresh kernel.

`python -m benchmarks lesson_memory` prints them per week; `python deploy/capacity.py --measure` stores them in
deploy/measurements.json, from which the JupyterHub resources and the capacity table are computed.
Target: the heaviest lesson's kernel stays under 1 GiB (mybinder.org guarantees 1 GB per session).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MIB = 1024


def measure_notebook(path: Path, timeout: int = 900) -> dict:
    """Run one notebook in a fresh kernel (as nbval does) and return its wall time, the kernel's peak resident
    memory (VmHWM, MiB) and CPU seconds (user + system, the kernel and its threads), read before it shuts down."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    usage: dict = {}
    client.reset_execution_trackers()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        errors = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except Exception as exc:  # a failing cell is reported, the measurement goes on
                errors.append(f"cell {index}: {type(exc).__name__}")
        usage = _proc_usage(pid)
    usage["wall_s"] = round(time.perf_counter() - start, 1)
    if errors:
        usage["errors"] = errors
    return usage


def _proc_usage(pid: int) -> dict:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            out["peak_rss_mib"] = round(int(line.split()[1]) / 1024, 1)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    out["cpu_s"] = round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)
    return out


def measure_server() -> float:
    """Resident memory (MiB) of an idle JupyterLab server with no kernel, as each learner's pod runs one."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.token=", f"--ServerApp.root_dir={ROOT}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=2).read()  # loads the lab page's assets
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(2)
        return _proc_usage(proc.pid)["peak_rss_mib"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("week[0-9][0-9]_*.ipynb")) + sorted((ROOT / "exercises").glob("week[0-9][0-9]_*.ipynb"))


def run() -> dict:
    """Measure every notebook and print one line per notebook; the target is the heaviest lesson under 1 GiB."""
    os.environ.setdefault("AI_PM_LAB_THREADS", "1")
    peaks = {}
    for path in notebooks():
        r = measure_notebook(path)
        rel = path.relative_to(ROOT).as_posix()
        peaks[rel] = r["peak_rss_mib"]
        print(f"  {rel:55s} kernel peak {r['peak_rss_mib']:7.1f} MiB · CPU {r['cpu_s']:6.1f} s · wall {r['wall_s']:6.1f} s"
              + (f" · FAILED CELLS {r['errors']}" if r.get("errors") else ""), flush=True)
    lessons = {k: v for k, v in peaks.items() if k.startswith("notebooks/")}
    heaviest = max(lessons, key=lessons.get)
    print(f"  heaviest lesson: {heaviest} at {lessons[heaviest]:.0f} MiB")
    return {f"heaviest lesson kernel under {LIMIT_MIB} MiB": lessons[heaviest] < LIMIT_MIB}
