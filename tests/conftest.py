"""Shared fixtures: every test starts with no provider keys or backend overrides from the developer's shell."""
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from ai_pm_lab import settings
from ai_pm_lab.cost import reset_spend
from ai_pm_lab.llm.backends import reset_backends
from ai_pm_lab.testing.fake_model import ScriptedModel

ROOT = Path(__file__).resolve().parents[1]


def root_on_debian() -> bool:
    """Root on Debian, where `make browser-deps` installs chromium and faketime itself (CI): a missing one there fails
    its test instead of skipping it."""
    try:
        release = Path("/etc/os-release").read_text()
    except OSError:
        return False
    return hasattr(os, "geteuid") and os.geteuid() == 0 and "ID=debian" in release.splitlines()
_VARS = (*settings.PROVIDER_VARS, settings.SPEND_CAP_VAR)  # settings' one list of provider variables, plus the cap


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No keys, no overrides, and a working directory without a .env file."""
    for var in _VARS:
        monkeypatch.delenv(var, raising=False)
    # Unit tests measure the model, not yesterday's answers: the response cache is off unless a test turns it on
    # (tests/test_response_cache.py does).
    monkeypatch.setenv(settings.RESPONSE_CACHE_VAR, "off")
    monkeypatch.chdir(tmp_path)
    reset_backends()
    reset_spend()
    yield
    reset_backends()
    reset_spend()
    plt.close("all")  # a notebook's inline backend closes each figure it shows; headless pyplot keeps them open


@pytest.fixture
def fake_model():
    """The scripted model (ai_pm_lab.testing.fake_model.ScriptedModel) in place of every generate() call."""
    with ScriptedModel() as model:
        yield model


def pytest_terminal_summary(terminalreporter):
    """One line totalling the bad inputs tests/test_properties.py tried (recorded per test, so xdist workers count too)."""
    reports = [r for r in terminalreporter.stats.get("passed", []) if getattr(r, "when", "") == "call"]
    tried = [dict(r.user_properties).get("bad_inputs_tried") for r in reports]
    tried = [n for n in tried if n]
    if tried:
        terminalreporter.write_line(f"[properties] {sum(tried)} bad inputs tried over {len(tried)} public functions "
                                    "(all rejected with TypeError/ValueError)")
