"""Shared fixtures: every test starts with no provider keys or backend overrides from the developer's shell."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "AI_PM_LAB_BACKEND",
         "AI_PM_LAB_MODEL", "AI_PM_LAB_SPEND_CAP_USD", "AI_PM_LAB_FALLBACK")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No keys, no overrides, and a working directory without a .env file."""
    for var in _VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    from ai_pm_lab import cost, llm

    saved = cost._TRACKER
    cost._TRACKER = None
    remote_cache = {k: v for k, v in llm.generate._BACKENDS.items() if k[0] != "local"}
    for k in remote_cache:
        del llm.generate._BACKENDS[k]
    yield
    cost._TRACKER = saved
    for k in [k for k in llm.generate._BACKENDS if k[0] != "local"]:
        del llm.generate._BACKENDS[k]
