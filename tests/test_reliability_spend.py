"""The spend cap across many paid calls: checked before each call, accumulated from real usage after it."""
from __future__ import annotations

import pytest
from remote_support import clean_env, fake, paid_backend, server  # noqa: F401

import ai_pm_lab as lab
from ai_pm_lab.errors import SpendCapError
from ai_pm_lab.tables import format_money
from ai_pm_lab.testing.fake_provider import fake_reply

PROMPT = "List three risks of shipping an AI feature without evaluation"


@pytest.mark.parametrize("backend,model", [("openai", "gpt-6.2-sol"), ("anthropic", "claude-opus-5-5")])
def test_cap_accumulates_real_usage_and_refuses_with_figures(fake, backend, model):
    engine = paid_backend(backend, model)
    max_tokens = 40
    messages = [{"role": "user", "content": PROMPT}]
    _, p, c, _ = fake_reply(messages, max_tokens)
    real = lab.estimate_cost(model, p, c)
    worst = lab.estimate_cost(model, engine.max_prompt_tokens(messages), max_tokens)  # what the cap books
    assert worst > real > 0  # the check uses max_tokens, the record uses what was really used
    n_ok = 25
    cap = n_ok * real + worst * 0.999  # room for n_ok real calls, not for the worst case after them
    tracker = lab.set_spend_cap(cap)
    results = []
    with pytest.raises(SpendCapError) as info:
        for _ in range(200):
            results.append(lab.generate(PROMPT, backend=backend, model=model, max_tokens=max_tokens, temperature=0))
    assert len(fake.calls()) == len(results), "the refused call must not reach the provider"
    assert tracker.calls == len(results) and tracker.spent_usd == pytest.approx(sum(g.cost_usd for g in results))
    assert all(g.cost_usd == pytest.approx(real) for g in results)
    assert tracker.spent_usd <= cap and tracker.spent_usd + worst > cap
    assert len(results) >= n_ok
    msg = str(info.value)
    assert format_money(worst) in msg and format_money(tracker.spent_usd) in msg and format_money(cap) in msg
    assert "set_spend_cap" in msg and "backend='local'" in msg
    lab.set_spend_cap(None)  # lifting the cap lets the next call through
    lab.generate(PROMPT, backend=backend, model=model, max_tokens=max_tokens)
    assert tracker.calls == len(results) + 1


def test_cap_from_environment_and_zero_cap_refuses_first_paid_call(fake, clean_env):
    clean_env.setenv("AI_PM_LAB_SPEND_CAP_USD", "0")
    paid_backend("openai")
    with pytest.raises(SpendCapError, match="cap"):
        lab.generate("hi", backend="openai")
    assert fake.calls() == []


def test_failed_calls_cost_nothing(fake):
    paid_backend("openai")
    tracker = lab.set_spend_cap(1.0)
    fake.fail("401")
    with pytest.raises(lab.ProviderError):
        lab.generate("hi", backend="openai")
    assert tracker.spent_usd == 0 and tracker.calls == 0


def test_unpriced_models_and_free_servers_never_touch_the_tracker(fake, clean_env):
    clean_env.setenv("AI_PM_LAB_MODEL", "llama3.2")
    tracker = lab.set_spend_cap(0.0)
    g = lab.generate("hi", backend="openai")  # loopback + unpriced: free
    assert g.cost_usd is None and tracker.calls == 0


def test_a_paid_model_the_table_cannot_price_is_refused_under_a_cap(fake, clean_env):
    clean_env.setenv("AI_PM_LAB_MODEL", "mystery-model-9000")
    paid_backend("openai")
    lab.set_spend_cap(1.0)
    before = len(fake.calls("/v1/chat/completions"))
    with pytest.raises(SpendCapError, match="not in the price table"):
        lab.generate("hi", backend="openai")
    assert len(fake.calls("/v1/chat/completions")) == before  # refused before any request left
    lab.set_spend_cap(None)
    assert lab.generate("hi", backend="openai").cost_usd is None  # without a cap the call goes through, unpriced
