"""Every provider fault, for both SDKs: bounded retries where right, one clear ProviderError otherwise, opt-in fallback."""
from __future__ import annotations

import time
import warnings

import pytest
from remote_support import ANTHROPIC_KEY, FAST, OPENAI_KEY, clean_env, fake, server  # noqa: F401

import ai_pm_lab as lab
from ai_pm_lab.errors import ConfigurationError, ProviderError
from ai_pm_lab.llm import remote
from ai_pm_lab.llm.fallback import FallbackWarning
from ai_pm_lab.testing.fake_model import ScriptedModel
from ai_pm_lab.testing.fake_provider import REPLY_PREFIX

BACKENDS = ["openai", "anthropic"]
# fault -> (kind, phrases the message must contain: what happened, what to do)
NO_RETRY = {
    "401": ("auth", ["rejected the API key", "HTTP 401", "_API_KEY", "prompt_for_key", "backend='local'"]),
    "403": ("forbidden", ["refused access", "HTTP 403", "models.csv", "backend='local'"]),
    "404": ("not_found", ["does not know model", "HTTP 404", "models.csv", "backend='local'"]),
    "malformed": ("malformed", ["not valid JSON", "backend='local'"]),
}
RETRY = {
    "429": ("rate_limit", ["rate-limiting", "HTTP 429", "Wait a minute", "backend='local'"]),
    "500": ("server", ["server error", "HTTP 500", "wait a few minutes", "backend='local'"]),
    "503": ("server", ["server error", "HTTP 503", "wait a few minutes", "backend='local'"]),
    "timeout": ("timeout", ["did not answer within 0.5 s", "network", "backend='local'"]),
    "drop": ("connection", ["connection failed or was dropped", "server is running", "backend='local'"]),
}


def _ask(backend):
    return lab.generate("Write a tagline for a budgeting app", backend=backend, max_tokens=20)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fault", list(NO_RETRY))
def test_permanent_faults_fail_at_once_with_one_clear_error(fake, backend, fault):
    kind, phrases = NO_RETRY[fault]
    fake.fail(fault, fault, fault)
    with pytest.raises(ProviderError) as info:
        _ask(backend)
    err = info.value
    assert len(fake.calls()) == 1, "a permanent failure must not be retried"
    assert (err.kind, err.attempts, err.provider) == (kind, 1, backend)
    for phrase in phrases:
        assert phrase in str(err), (phrase, str(err))
    assert err.__cause__ is None and err.__suppress_context__  # no SDK traceback chained on
    assert OPENAI_KEY not in str(err) and ANTHROPIC_KEY not in str(err)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fault", list(RETRY))
def test_transient_faults_are_retried_then_succeed(fake, backend, fault):
    fake.fail(fault, retry_after=0.01)
    g = _ask(backend)
    assert g.text.startswith(REPLY_PREFIX)
    calls = fake.calls()
    assert len(calls) == 2 and calls[0].fault == fault and calls[1].fault is None


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fault", list(RETRY))
def test_transient_faults_give_up_after_the_bounded_attempts(fake, backend, fault):
    kind, phrases = RETRY[fault]
    fake.fail(*[fault] * 5, retry_after=0.01)
    start = time.monotonic()
    with pytest.raises(ProviderError) as info:
        _ask(backend)
    elapsed = time.monotonic() - start
    err = info.value
    assert (err.kind, err.attempts) == (kind, FAST.attempts)
    assert len(fake.calls()) == FAST.attempts and fake.pending_faults == 5 - FAST.attempts
    assert f"{FAST.attempts} attempts" in str(err)
    for phrase in phrases:
        assert phrase in str(err), (phrase, str(err))
    assert elapsed < FAST.attempts * FAST.timeout_s + FAST.max_total_wait_s + 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_retry_after_is_honoured(fake, backend):
    fake.fail("429", retry_after=0.4)
    _ask(backend)
    first, second = fake.calls()
    assert second.at - first.at >= 0.4


@pytest.mark.parametrize("backend", BACKENDS)
def test_retry_after_longer_than_the_cap_fails_fast_and_says_so(fake, backend):
    fake.fail("429", retry_after=120)
    start = time.monotonic()
    with pytest.raises(ProviderError, match="asked to wait 120 s") as info:
        _ask(backend)
    assert time.monotonic() - start < 2 and len(fake.calls()) == 1 and info.value.kind == "rate_limit"


def test_total_wait_is_capped(fake, clean_env):
    clean_env.setattr(remote, "DEFAULT_RETRY", remote.RetryPolicy(attempts=10, base_delay_s=0.2, max_delay_s=1,
                                                                  max_total_wait_s=0.5, timeout_s=0.5, jitter=0))
    fake.fail(*["503"] * 10)
    with pytest.raises(ProviderError, match="retry budget"):
        _ask("openai")
    assert len(fake.calls()) == 2  # waited 0.2 s after try 1; another 0.4 s would pass the 0.5 s budget


def test_backoff_doubles_and_is_capped():
    policy = remote.RetryPolicy(base_delay_s=0.5, max_delay_s=3, jitter=0)
    assert [policy.delay(a) for a in range(1, 6)] == [0.5, 1.0, 2.0, 3, 3]


@pytest.mark.parametrize("headers,expected", [({"retry-after": "3"}, 3.0), ({"retry-after-ms": "250"}, 0.25),
                                              ({"retry-after": "soon"}, None), ({}, None), (None, None),
                                              ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0)])
def test_retry_after_parsing(headers, expected):
    assert remote.retry_after_seconds(headers) == expected


def test_set_retry_policy_validates(clean_env):
    assert remote.set_retry_policy(attempts=5).attempts == 5
    with pytest.raises(TypeError, match="Unknown retry setting"):
        remote.set_retry_policy(tries=5)
    with pytest.raises(ValueError):
        remote.set_retry_policy(timeout_s=0)
    with pytest.raises(TypeError):
        remote.set_retry_policy(attempts=1.5)


@pytest.fixture
def stub_local(clean_env):
    """The local model scripted (fast); hosted calls still go to the fake provider."""
    with ScriptedModel("local answer", replaces="local") as model:
        yield model


@pytest.mark.parametrize("backend", BACKENDS)
def test_fallback_argument_answers_locally_with_a_visible_notice(fake, stub_local, backend):
    fake.fail("401")
    with pytest.warns(FallbackWarning) as record:
        g = lab.generate("hi", backend=backend, fallback="local")
    assert g.backend == "local" and g.text == "local answer" and g.cost_usd == 0
    notice = str(record[0].message)
    assert "local model answered" in notice and "rejected the API key" in notice
    assert OPENAI_KEY not in notice and ANTHROPIC_KEY not in notice


def test_fallback_from_environment_variable(fake, stub_local, clean_env):
    clean_env.setenv("AI_PM_LAB_FALLBACK", "local")
    fake.fail(*["503"] * FAST.attempts)
    with pytest.warns(FallbackWarning, match="server error"):
        assert lab.generate("hi", backend="openai").backend == "local"


def test_no_fallback_unless_asked(fake, stub_local):
    fake.fail("401")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        with pytest.raises(ProviderError):
            lab.generate("hi", backend="openai")


def test_unknown_fallback_value_is_refused(clean_env):
    with pytest.raises(ConfigurationError, match="fallback='local'"):
        lab.generate("hi", fallback="anthropic")
    with pytest.raises(TypeError):
        lab.generate("hi", fallback=1)


def test_fallback_uses_the_real_local_model(fake, clean_env):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python not installed")
    fake.fail("500", "500", "500")
    with pytest.warns(FallbackWarning):
        g = lab.generate("Say hello.", backend="anthropic", fallback="local", max_tokens=5, temperature=0, seed=1)
    assert g.backend == "local" and g.model == "smollm2-135m-instruct" and 0 < g.completion_tokens <= 5
