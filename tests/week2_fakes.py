"""A scripted stand-in for the model so week-2 logic is tested fast and deterministically (no generated text asserted)."""
from __future__ import annotations

import pytest

from ai_pm_lab.llm.base import Generation


def gen(text: str, prompt: str = "") -> Generation:
    """A Generation as the local backend would return it."""
    return Generation(text=text, backend="fake", model="smollm2-135m-instruct", prompt_tokens=max(1, len(prompt) // 4),
                      completion_tokens=len(text.split()), latency_s=0.01, cost_usd=0.0, finish_reason="stop")


@pytest.fixture
def fake_model(monkeypatch):
    """Replace week 2's one model call; the reply is chosen by ``replies(prompt)`` (default: 'I don't know.')."""
    from ai_pm_lab.limits import common

    calls = []
    state = {"reply": lambda prompt, **kw: "I don't know."}

    def ask(prompt, **kw):
        from ai_pm_lab import ContextWindowError
        from ai_pm_lab.llm.local import n_ctx
        from ai_pm_lab.llm.tokens import count_tokens

        if count_tokens(prompt, backend="local") >= n_ctx():  # the real backend refuses before generating
            raise ContextWindowError(f"The prompt is too long for the {n_ctx():,}-token window (fake model).")
        calls.append({"prompt": prompt, **kw})
        return gen(state["reply"](prompt, **kw), prompt)

    monkeypatch.setattr(_common, "ask", ask)

    class Fake:
        def __init__(self):
            self.calls = calls

        def reply_with(self, fn):
            state["reply"] = fn if callable(fn) else (lambda prompt, **kw: fn)

    return Fake()
