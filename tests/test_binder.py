"""Binder: repo2docker builds the course as mybinder.org would (Python 3.11, the pinned requirements, the emoji font,
postBuild's offline smoke test), and every notebook opens with a launch link to itself, from one template."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import launch_links  # noqa: E402
import make_exercises  # noqa: E402

LINK = re.compile(r"\]\((https://[^)\s]+)\)")


def notebook(cells: list[dict], minor: int = 4) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": minor}


def md(text: str, **meta) -> dict:
    return {"cell_type": "markdown", "metadata": meta, "source": text}


# --- repo2docker ----------------------------------------------------------------------------------------------

def dockerfile() -> str:
    exe = Path(sys.executable).parent / "jupyter-repo2docker"
    assert exe.exists(), "jupyter-repo2docker is pinned in requirements.txt: run make setup"
    proc = subprocess.run([str(exe), "--no-build", "--debug", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout + proc.stderr


def test_repo2docker_builds_python_311_with_the_course_requirements():
    out = dockerfile()
    assert "Building conda environment for python=3.11" in out, out[:2000]
    assert 'pip install --no-cache-dir -r "requirements.txt"' in out
    assert "fonts-noto-color-emoji" in out, "apt.txt's emoji font must be installed (emoji marks otherwise show as boxes)"
    assert "./postBuild" in out and 'R2D_ENTRYPOINT="${REPO_DIR}/start"' in out
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists(), "a binder/ folder would hide the root config"
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"


def test_requirements_build_llama_cpp_portably_and_install_the_course():
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    llama = next(line for line in lines if line.startswith("llama-cpp-python=="))
    assert "cmake.define.GGML_NATIVE=OFF" in llama, "a -march=native wheel dies with 'Illegal instruction' elsewhere"
    assert "-e ." in lines
    pinned = [line for line in lines if line and not line.startswith("-")]
    assert all("==" in line for line in pinned), [line for line in pinned if "==" not in line]


def test_post_build_and_start_scripts():
    post = (ROOT / "postBuild").read_text()
    assert post.startswith("#!/bin/bash") and "set -euo pipefail" in post
    assert "describe_backend" in post and "generate(" in post, "the build must prove the local model answers offline"
    start = (ROOT / "start").read_text()
    assert 'exec "$@"' in start and "AI_PM_LAB_THREADS" in start
    for script in ("postBuild", "start"):
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} must be executable"
        assert subprocess.run(["bash", "-n", str(ROOT / script)]).returncode == 0


def test_post_build_warms_the_response_cache_where_a_lesson_kernel_reads_it(tmp_path, monkeypatch):
    post = (ROOT / "postBuild").read_text()
    assert "jupyter nbconvert --execute" in post and "notebooks/week*_*.ipynb" in post, "every lesson runs once"
    warm = re.findall(r'AI_PM_LAB_CACHE_DIR="\$repo/([^"]+)"', post)
    assert warm and set(warm) == {"notebooks/outputs/cache"}
    # A lesson's kernel starts in notebooks/ with no cache or output setting: that is the folder the build fills.
    from ai_pm_lab import settings

    for var in (settings.CACHE_DIR_VAR, settings.OUTPUT_DIR_VAR):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert settings.cache_dir() == tmp_path / warm[0]
    assert "weights.prepare()" in post, "the build converts the local model's weights once"


def test_devcontainer_uses_the_same_setup():
    cfg = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert "3.11" in cfg["image"]
    assert "make setup" in cfg["postCreateCommand"]


# --- launch links -----------------------------------------------------------------------------------------------

def test_every_notebook_opens_with_a_launch_link_to_itself():
    """Checked from the files, independently of the tool's own --check."""
    cfg = launch_links.config()
    notebooks = launch_links.notebooks()
    assert len(notebooks) >= 12
    for path in notebooks:
        rel = path.relative_to(ROOT).as_posix()
        cells = json.loads(path.read_text())["cells"]
        tagged = [i for i, c in enumerate(cells) if "launch-link" in c.get("metadata", {}).get("tags", [])]
        assert tagged == [0], f"{rel}: needs exactly one launch-link cell, at the top (make links)"
        url = LINK.search("".join(cells[0]["source"])).group(1)
        parsed = urlparse(url)
        assert f"{parsed.scheme}://{parsed.netloc}" == cfg["service"]
        assert parsed.path == f"/v2/gh/{cfg['owner']}/{cfg['name']}/{cfg['branch']}", url
        assert parse_qs(parsed.query)["urlpath"] == [f"lab/tree/{rel}"], f"{rel}: the link opens another notebook: {url}"


def test_launch_link_tool_check_passes():
    proc = subprocess.run([sys.executable, "tools/launch_links.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_launch_cell_is_idempotent_and_replaces_stale_ones():
    nb = notebook([md("# Title"), md("old link", tags=["launch-link"]), md("text")])
    once = launch_links.with_launch_cell(nb, "notebooks/week09_x.ipynb")
    twice = launch_links.with_launch_cell(once, "notebooks/week09_x.ipynb")
    assert once == twice
    assert [c["source"] for c in once["cells"][1:]] == ["# Title", "text"]
    assert "lab/tree/notebooks/week09_x.ipynb" in once["cells"][0]["source"]
    assert "id" not in once["cells"][0], "nbformat 4.4 cells carry no id"
    assert launch_links.with_launch_cell(notebook([], minor=5), "a.ipynb")["cells"][0]["id"] == "launch-link"


def test_stale_link_is_reported():
    cfg = dict(launch_links.config(), owner="someone-else")
    nb = launch_links.with_launch_cell(notebook([md("# T")]), "notebooks/week01_x.ipynb", cfg)
    wanted = launch_links.with_launch_cell(nb, "notebooks/week01_x.ipynb")
    assert nb != wanted, "a link to another repository must count as stale"


def test_exercise_copy_links_to_the_exercise_notebook():
    solution = launch_links.with_launch_cell(
        notebook([md("# Week 9 exercises"), {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [],
                                             "execution_count": None}]),
        "solutions/week09_exercises.ipynb")
    exercise = make_exercises.exercise_from_solution(solution)
    expected = launch_links.launch_cell("exercises/week09_exercises.ipynb", exercise)
    assert exercise["cells"][0] == expected


def test_repository_url_lives_in_one_place():
    """Only course.toml names the repository; links elsewhere are generated from it (README block, launch cells)."""
    cfg = launch_links.config()
    needles = (cfg["url"], f"/v2/gh/{cfg['owner']}/{cfg['name']}")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    files = set(tracked) | {p.relative_to(ROOT).as_posix() for p in launch_links.notebooks()} | {"README.md"}
    offenders = []
    for rel in sorted(files):
        path = ROOT / rel
        if rel == "ai_pm_lab/data/course.toml" or not path.is_file() or path.suffix in (".png", ".gguf", ".onnx"):
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        if rel == "README.md":
            text = re.sub(re.escape(launch_links.README_START) + ".*?" + re.escape(launch_links.README_END), "", text,
                          flags=re.DOTALL)
        if rel.endswith(".ipynb"):
            text = json.dumps([c for c in json.loads(text)["cells"]
                               if "launch-link" not in c.get("metadata", {}).get("tags", [])])
        if any(n in text for n in needles):
            offenders.append(rel)
    assert offenders == [], f"these files hard-code the repository URL; use the generated links instead: {offenders}"
