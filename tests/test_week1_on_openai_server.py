"""Week 1 runs unchanged on an OpenAI-compatible server on loopback (the project's fake provider)."""
import os

import nbformat
from nbclient import NotebookClient

from ai_pm_lab.testing.fake_provider import FakeProvider
from conftest import ROOT

KEY = "placeholder" + "-for-loopback"


def test_week1_runs_on_an_openai_compatible_server():
    path = ROOT / "notebooks" / "week01_foundations.ipynb"
    nb = nbformat.read(path, as_version=4)
    with FakeProvider() as fake:
        env = dict(os.environ, OPENAI_BASE_URL=fake.openai_base_url, OPENAI_API_KEY=KEY)
        env.pop("AI_PM_LAB_BACKEND", None)
        client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
        client.execute(env=env)
        chat_calls = fake.calls("/v1/chat/completions")
        url = fake.openai_base_url
    first_code = next(c for c in nb.cells if c.cell_type == "code")  # the backend line (a launch-link cell comes first)
    first = "".join(o.get("text", "") for o in first_code.outputs)
    assert "OpenAI SDK" in first and url in first, first
    assert len(chat_calls) >= 6, "the notebook's generate() cells should have reached the server"
    assert all(KEY not in str(c.headers) for c in chat_calls), "keys are redacted in the record"
