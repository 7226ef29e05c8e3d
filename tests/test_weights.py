"""The local model's weights: converted once from the shipped file into the cache folder, checked by sha256, described
by their provenance, safe when two processes convert at once, and the shipped file (with one line) when conversion fails."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ai_pm_lab.llm import local, weights


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    """An empty model cache folder, and no memory of an earlier choice in this process."""
    folder = tmp_path / "models"
    monkeypatch.setenv("AI_PM_LAB_MODEL_CACHE", str(folder))
    weights.reset_choice()
    yield folder
    weights.reset_choice()  # later tests run the default file again


def test_first_use_converts_to_the_chosen_format_with_a_verified_record(cache, capsys):
    path = local.model_path()
    assert Path(path).parent == cache and path.endswith(f".{weights.FORMAT}.gguf")
    record = json.loads(weights.sidecar_path(Path(path)).read_text())
    assert record["sha256"] == weights.sha256_file(path)
    assert record["source_sha256"] == weights.sha256_file(local.shipped_model_path())
    assert record["format"] == weights.FORMAT and record["source_format"] == "Q4_1"
    assert record["converted_at"] and record["llama_cpp"]
    info = weights.provenance()
    assert info["converted"] and info["file"] == path and info["sha256"] == record["sha256"]
    assert "converted here from the shipped Q4_1 file" in weights.describe()
    assert not list(cache.glob("*.tmp"))  # no temp file left behind
    assert "converting" in capsys.readouterr().out  # the one-time wait is announced


def test_a_second_process_reuses_the_file_and_a_damaged_one_is_made_again(cache, monkeypatch):
    path = Path(local.model_path())
    stamp = path.stat().st_mtime_ns
    weights.reset_choice()
    assert local.model_path() == str(path) and path.stat().st_mtime_ns == stamp  # found, not converted again
    with open(path, "r+b") as fh:  # damage it: the recorded sha256 no longer matches
        fh.seek(1000)
        fh.write(b"\0" * 64)
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))
    weights.reset_choice()
    assert local.model_path() == str(path)
    assert weights.sha256_file(path) == json.loads(weights.sidecar_path(path).read_text())["sha256"]


def test_conversion_failure_falls_back_to_the_shipped_file_with_one_line(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("AI_PM_LAB_MODEL_CACHE", str(blocker))
    weights.reset_choice()
    assert local.model_path() == local.shipped_model_path()
    assert local.model_path() == local.shipped_model_path()  # asked twice, said once
    lines = [line for line in capsys.readouterr().out.splitlines() if "shipped" in line]
    assert len(lines) == 1 and "AI_PM_LAB_MODEL_CACHE" in lines[0]
    info = weights.provenance()
    assert not info["converted"] and info["format"] == "Q4_1" and "shipped Q4_1" in weights.describe()


def test_two_processes_converting_at_once_leave_one_valid_file(cache):
    code = ("from ai_pm_lab.llm import local, weights; p = local.model_path(); "
            "print(p, weights.provenance()['sha256'])")
    env = {**os.environ, "AI_PM_LAB_MODEL_CACHE": str(cache)}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300)[0].strip().splitlines()[-1].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0] == outs[1]
    path, digest = outs[0]
    assert weights.sha256_file(path) == digest and not list(cache.glob("*.tmp"))


def test_converting_and_loading_write_no_library_log_lines(cache):
    """A fresh install's first cell converts the weights and loads the model: llama.cpp's own log (hundreds of lines
    about each tensor) must not reach the notebook, which shows whatever the kernel writes to its stderr."""
    code = "from ai_pm_lab.llm import local; path = local.model_path(); local.llama(); print('loaded', path)"
    env = {**os.environ, "AI_PM_LAB_MODEL_CACHE": str(cache)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1].endswith(f".{weights.FORMAT}.gguf")  # it did convert, here
    library = [line for line in (proc.stdout + proc.stderr).splitlines()
               if line.startswith(("llama_model_loader", "llama_model_quantize", "[ ", "load_tensors", "print_info"))]
    assert library == [], library[:5]
