"""The spend cap is a promise: calls made at the same time never spend past it together, a cap set after the first call
applies, and the worst case booked for Claude and Gemini carries the stated margin over the stand-in tokenizer."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from remote_support import FAST, clean_env, paid_backend, point_sdks_at, reset_state  # noqa: F401

import ai_pm_lab as lab
from ai_pm_lab.errors import SpendCapError
from ai_pm_lab.llm import remote
from ai_pm_lab.llm.tokens import ESTIMATE_MARGIN, count_tokens
from ai_pm_lab.settings import SPEND_CAP_VAR
from ai_pm_lab.testing.fake_provider import FakeProvider, fake_reply

PROMPT = "Name two risks of launching an AI feature without an evaluation set"
THREADS = 16
MAX_TOKENS = 40


@pytest.fixture(scope="module")
def slow_server():
    """A fake provider whose answers take 0.1 s, so calls started together are all in flight together."""
    with FakeProvider(latency_s=0.1) as fake:
        yield fake


@pytest.fixture
def provider(slow_server, clean_env):
    point_sdks_at(slow_server, clean_env)
    clean_env.setattr(remote, "DEFAULT_RETRY", replace(FAST, timeout_s=5.0))  # 16 calls in flight: more time each
    yield slow_server
    slow_server.reset()


def _worst_and_real(engine, model):
    messages = [{"role": "user", "content": PROMPT}]
    _, p, c, _ = fake_reply(messages, MAX_TOKENS)
    return lab.estimate_cost(model, engine.max_prompt_tokens(messages), MAX_TOKENS), lab.estimate_cost(model, p, c)


@pytest.mark.parametrize("backend,model", [("openai", "gpt-6.2-sol"), ("anthropic", "claude-opus-5-5")])
def test_sixteen_threads_at_once_never_spend_past_the_cap(provider, backend, model):
    engine = paid_backend(backend, model)
    worst, real = _worst_and_real(engine, model)
    cap = 3.5 * worst  # room for three calls' worst case at a time, far less than sixteen real calls
    assert THREADS * real > cap, "without the cap the threads would spend past it"
    tracker = lab.set_spend_cap(cap)
    start = threading.Barrier(THREADS)
    answers, refusals, other = [], [], []

    def call():
        start.wait()
        try:
            answers.append(lab.generate(PROMPT, backend=backend, model=model, max_tokens=MAX_TOKENS, temperature=0))
        except SpendCapError as exc:
            refusals.append(exc)
        except Exception as exc:  # noqa: BLE001 - any other failure fails the test below
            other.append(exc)

    workers = [threading.Thread(target=call) for _ in range(THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not other, other
    assert len(answers) + len(refusals) == THREADS and answers and refusals
    assert tracker.spent_usd <= cap, f"spent ${tracker.spent_usd:.6f} past the ${cap:.6f} cap"
    assert tracker.spent_usd == pytest.approx(sum(g.cost_usd for g in answers)) and tracker.calls == len(answers)
    assert tracker.reserved_usd == pytest.approx(0.0)  # every booking was settled or released
    assert len(provider.calls()) == len(answers), "a refused call never reaches the provider"


def test_a_failed_call_releases_its_booking(provider):
    paid_backend("openai", "gpt-6.2-sol")
    tracker = lab.set_spend_cap(1.0)
    provider.fail("401")
    with pytest.raises(lab.ProviderError):
        lab.generate(PROMPT, backend="openai", model="gpt-6.2-sol", max_tokens=MAX_TOKENS)
    assert tracker.reserved_usd == 0 and tracker.spent_usd == 0 and tracker.calls == 0


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_a_cap_set_after_the_first_call_applies_with_a_note(provider, clean_env, capsys, where, tmp_path):
    paid_backend("openai", "gpt-6.2-sol")
    first = lab.generate(PROMPT, backend="openai", model="gpt-6.2-sol", max_tokens=MAX_TOKENS)
    assert first.cost_usd > 0 and lab.spend_tracker().cap_usd is None
    if where == "environment":
        clean_env.setenv(SPEND_CAP_VAR, "0.000001")
    else:
        (tmp_path / ".env").write_text(f"{SPEND_CAP_VAR}=0.000001\n")  # the test's working directory
    with pytest.raises(SpendCapError):
        lab.generate(PROMPT, backend="openai", model="gpt-6.2-sol", max_tokens=MAX_TOKENS)
    assert "Spend cap changed" in capsys.readouterr().out
    assert len(provider.calls()) == 1  # the refused call never left


def test_a_cap_set_in_the_kernel_wins_over_the_setting(provider, clean_env):
    clean_env.setenv(SPEND_CAP_VAR, "0")
    assert lab.set_spend_cap(5.0).cap_usd == 5.0
    paid_backend("openai", "gpt-6.2-sol")
    assert lab.generate(PROMPT, backend="openai", model="gpt-6.2-sol", max_tokens=MAX_TOKENS).cost_usd > 0


@pytest.mark.parametrize("backend", ["anthropic", "gemini"])
def test_stand_in_tokenizer_counts_carry_the_margin_and_never_pass_the_bytes(provider, clean_env, backend):
    clean_env.setenv("GEMINI_API_KEY", "test-" + "not-a-real-key")
    clean_env.setenv("GEMINI_BASE_URL", provider.openai_base_url)
    engine = lab.get_backend(backend)
    text = "Refunds are possible within 30 days of purchase; contact billing."
    messages = [{"role": "user", "content": text}]
    stand_in = count_tokens(text, backend=backend)
    booked = engine.max_prompt_tokens(messages)
    assert booked >= ESTIMATE_MARGIN * stand_in and booked > engine.estimate_prompt_tokens(messages)
    dense = "{}" * 50  # punctuation: the margin would pass the bytes, so the bytes bound it
    assert engine.max_prompt_tokens([{"role": "user", "content": dense}]) <= len(dense.encode()) + 4 + 3
    exact = lab.get_backend("openai")  # OpenAI's tokenizer is exact: no margin
    assert exact.max_prompt_tokens(messages) == exact.estimate_prompt_tokens(messages) + 3
