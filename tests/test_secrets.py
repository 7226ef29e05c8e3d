"""Keys never show: Secret repr, backend reprs, every error message and traceback, logs, fallback notices, committed files."""
from __future__ import annotations

import logging
import traceback
import warnings
from pathlib import Path

import pytest
from remote_support import ANTHROPIC_KEY, OPENAI_KEY, clean_env, fake, server  # noqa: F401

import ai_pm_lab as lab
from ai_pm_lab import llm, settings
from ai_pm_lab.llm import remote
from ai_pm_lab.testing import secret_scan
from ai_pm_lab.testing.fake_model import ScriptedModel

REPO = Path(__file__).resolve().parents[1]
FAULTS = ["401", "403", "404", "429", "500", "503", "timeout", "drop", "malformed"]


def _leaks(text: str) -> bool:
    return OPENAI_KEY in text or ANTHROPIC_KEY in text or OPENAI_KEY[10:30] in text or ANTHROPIC_KEY[10:30] in text


def test_secret_hides_itself():
    s = settings.Secret(OPENAI_KEY)
    for shown in (repr(s), str(s), f"{s}", repr([s]), repr({"k": s})):
        assert OPENAI_KEY not in shown and "****" in shown
    assert s.reveal() == OPENAI_KEY and bool(s) and not settings.Secret("")


def test_api_key_reads_env_and_dotenv_as_secret(clean_env, tmp_path):
    (tmp_path / ".env").write_text(f"ANTHROPIC_API_KEY={ANTHROPIC_KEY}\n")
    clean_env.setenv("OPENAI_API_KEY", OPENAI_KEY)
    o, a = settings.api_key("openai"), settings.api_key("anthropic")
    assert isinstance(o, settings.Secret) and o.reveal() == OPENAI_KEY and a.reveal() == ANTHROPIC_KEY
    assert not _leaks(repr(o) + repr(a))


def test_backend_objects_do_not_show_keys(fake):
    for name in ("openai", "anthropic"):
        engine = llm.get_backend(name)
        engine.client()
        shown = repr(engine) + str(engine) + repr(vars(engine)) + lab.describe_backend(name)
        assert not _leaks(shown)


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
def test_no_fault_leaks_the_key_into_messages_tracebacks_logs_or_notices(fake, backend, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # the SDKs' and httpx2's debug logs included
    for fault in FAULTS:
        fake.reset()
        fake.fail(*[fault] * 3, retry_after=0.01)
        try:
            lab.generate("hi", backend=backend)
        except lab.ProviderError as exc:
            shown = str(exc) + repr(exc) + "".join(traceback.format_exception(exc))
            assert not _leaks(shown), fault
        else:  # pragma: no cover - the fake must fail
            pytest.fail(f"{fault} did not fail")
    text = caplog.text + "".join(r.getMessage() for r in caplog.records) + "".join(capsys.readouterr())
    assert not _leaks(text)


def test_provider_text_with_a_key_is_masked():
    masked = remote.scrub(f"Incorrect API key provided: {OPENAI_KEY}. Also sk-abc1***********wxyz.", OPENAI_KEY)
    assert OPENAI_KEY not in masked and "sk-abc1" not in masked and "[key hidden]" in masked


def test_fallback_notice_does_not_leak(fake, clean_env):
    with ScriptedModel("ok", replaces="local"):
        fake.fail("401")
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            lab.generate("hi", backend="openai", fallback="local")
    assert record and not any(_leaks(str(w.message)) for w in record)


def test_scanner_finds_key_shaped_strings():
    assert secret_scan.find_secrets(f"key = '{OPENAI_KEY}'")
    assert secret_scan.find_secrets(f"{ANTHROPIC_KEY}")[0][0] == "Anthropic key"
    assert secret_scan.find_secrets("OPENAI_API_KEY" + "=abcdefghijklmnopqrstu")
    assert not secret_scan.find_secrets(f"fake = '{OPENAI_KEY}'  # {secret_scan.ALLOW_MARKER}")
    assert not secret_scan.find_secrets("# OPENAI_API_KEY=\nsk-... and task-list, risk-assessment-template")
    found = secret_scan.find_secrets(OPENAI_KEY)
    assert found and OPENAI_KEY not in repr(found)  # findings are masked too


def test_no_committed_file_or_notebook_carries_a_key():
    files = secret_scan.candidate_files(REPO)
    assert any(p.name == "remote.py" for p in files) and len(files) > 10
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    findings = secret_scan.scan_files(files)
    assert findings == {}, f"key-shaped strings found (scanned {len(files)} files, {len(notebooks)} notebooks): {findings}"


def test_env_file_is_gitignored():
    import subprocess

    out = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO)
    assert out.returncode == 0, ".env must be listed in .gitignore"


def test_pre_commit_config_strips_outputs_and_scans_for_keys(tmp_path):
    import subprocess
    import sys

    yaml = pytest.importorskip("yaml")

    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert {"strip-notebook-outputs", "secret-scan"} <= set(hooks)
    assert (REPO / hooks["strip-notebook-outputs"]["entry"].split()[1]).is_file()
    leaky = tmp_path / "leaky.py"
    leaky.write_text(f"KEY = '{OPENAI_KEY}'\n")
    clean = tmp_path / "clean.py"
    clean.write_text("KEY = None\n")
    cmd = hooks["secret-scan"]["entry"].replace("python", sys.executable, 1).split()
    bad = subprocess.run([*cmd, str(leaky)], capture_output=True, text=True, cwd=REPO)
    good = subprocess.run([*cmd, str(clean)], capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 1 and "leaky.py" in bad.stdout and OPENAI_KEY not in bad.stdout
    assert good.returncode == 0
