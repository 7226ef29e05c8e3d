"""Run a notebook with nbclient in a child process (optionally offline) and return its outputs as comparable text."""
from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

from ai_pm_lab.testing import offline

ROOT = Path(__file__).resolve().parents[1]
WEEK1 = ROOT / "notebooks" / "week01_foundations.ipynb"

RUNNER = r'''
import json, os, sys
import nbformat
from nbclient import NotebookClient

path, out, cwd = sys.argv[1:4]
# a fresh output folder for the kernel (this run's temporary directory): no answer comes from another run's cache
os.environ["AI_PM_LAB_OUTPUT_DIR"] = os.path.join(os.getcwd(), "outputs")
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": cwd}}).execute()
cells = []
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    outs = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            outs.append({"stream": o.name, "text": o.text})
        elif o.output_type in ("execute_result", "display_data"):
            outs.append({"data": {k: v for k, v in o.data.items()}})
        elif o.output_type == "error":
            outs.append({"error": o.ename + ": " + o.evalue})
    cells.append({"source": cell.source, "outputs": outs})
json.dump(cells, open(out, "w"))
'''

# Wall-clock figures differ run to run: "0.42 s", "12 ms", "118.3 tokens/s", "· 0.08 s ·".
TIMING = re.compile(r"\d+(?:[.,]\d+)?\s*(?:ms|µs|s|sec|seconds|tokens/s|tok/s)\b")
WIDGET_MODEL = re.compile(r"model_id='?[0-9a-f]{32}'?|[0-9a-f]{32}")
IGNORED_MIME = ("application/vnd.jupyter.widget-view+json", "text/html")  # widget ids; html mirrors text/plain


def normalise(text: str) -> str:
    """Mask timing figures and widget ids so two honest runs compare equal."""
    return WIDGET_MODEL.sub("<id>", TIMING.sub("<time>", text))


def comparable(cells: list[dict]) -> list[list[str]]:
    """Per code cell, what a learner sees, normalised: each stream's text joined across messages (the kernel may split
    one print into several messages, differently from run to run), then the other outputs' data in order."""
    out = []
    for cell in cells:
        streams: dict[str, str] = {}
        data = []
        for o in cell["outputs"]:
            if "stream" in o:
                streams[o["stream"]] = streams.get(o["stream"], "") + o["text"]
            elif "error" in o:
                data.append(f"error: {o['error']}")
            else:
                for mime, value in sorted(o["data"].items()):
                    if mime in IGNORED_MIME:
                        continue
                    if isinstance(value, (dict, list)):
                        value = json.dumps(value, sort_keys=True)
                    data.append(f"{mime}: {normalise(value) if mime.startswith('text/') else value}")
        out.append([f"{name}: {normalise(text)}" for name, text in sorted(streams.items()) if name != "stderr"] + data)
    return out


def run_notebook(path: Path, *, blocked: bool = True, timeout: float = 600):
    """Execute ``path`` in a fresh kernel with a fresh output folder; returns (outputs, blocked attempts, namespace
    used, stderr)."""
    if not path.is_file():
        import pytest

        pytest.skip(f"{path.relative_to(ROOT)} does not exist yet")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "outputs.json"
        cmd = [sys.executable, "-c", RUNNER, str(path), str(out), str(path.parent)]
        if blocked:
            proc, attempts, namespace = offline.run_offline(cmd, cwd=tmp, timeout=timeout)
        else:  # pragma: no cover - for debugging
            import subprocess

            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=timeout)
            attempts, namespace = [], False
        assert proc.returncode == 0, f"{path.name} failed:\n{proc.stderr[-3000:]}"
        return json.loads(out.read_text()), attempts, namespace, proc.stderr
