"""OpenAI and Anthropic backends through the real SDKs against the loopback fake provider."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest
from remote_support import ANTHROPIC_KEY, OPENAI_KEY, clean_env, fake, paid_backend, server  # noqa: F401

import ai_pm_lab as lab
from ai_pm_lab import llm
from ai_pm_lab.errors import ConfigurationError
from ai_pm_lab.llm import remote
from ai_pm_lab.llm.backends import reset_backends
from ai_pm_lab.testing.fake_provider import REPLY_PREFIX, FakeProvider, Fault, fake_reply

PROMPT = "Summarise the launch plan for the pricing page"


@pytest.mark.parametrize("name,model", [("openai", "gpt-6-luna"), ("anthropic", "claude-haiku-5-5")])
def test_text_usage_and_cost_come_from_the_reply_and_price_table(fake, name, model):
    paid_backend(name)
    g = lab.generate(PROMPT, backend=name, system="You are terse.", max_tokens=50, temperature=0)
    text, p, c, cut = fake_reply([{"role": "system", "content": "You are terse."}, {"role": "user", "content": PROMPT}], 50)
    assert g.text == text and g.text.startswith(REPLY_PREFIX)
    assert (g.prompt_tokens, g.completion_tokens) == (p, c)
    assert g.backend == name and g.model == model and g.finish_reason == "stop"
    assert g.cost_usd == pytest.approx(lab.estimate_cost(model, p, c))
    info = lab.model_info(model)
    assert g.cost_usd == pytest.approx((p * info.input_usd_per_1m + c * info.output_usd_per_1m) / 1e6)
    assert lab.spend_tracker().spent_usd == pytest.approx(g.cost_usd)
    assert g.latency_s > 0 and model in g.receipt()


def test_openai_request_body_and_headers(fake):
    lab.generate(PROMPT, backend="openai", system="sys", max_tokens=7, temperature=0.3, seed=42,
                 history=[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}])
    (req,) = fake.calls("/v1/chat/completions")
    assert req.body["model"] == lab.default_model("openai") and req.body["max_tokens"] == 7 and req.body["seed"] == 42
    assert req.body["temperature"] == 0.3
    assert [m["role"] for m in req.body["messages"]] == ["system", "user", "assistant", "user"]
    assert req.headers["authorization"] == "<redacted>"
    assert req.headers["x-stainless-retry-count"] == "0"  # the SDK's own retries are off


def test_anthropic_puts_system_in_system_and_caps_temperature(fake):
    g = lab.generate(PROMPT, backend="anthropic", system="Be brief.", max_tokens=3, temperature=1.7)
    (req,) = fake.calls("/v1/messages")
    assert req.body["system"] == "Be brief."
    assert all(m["role"] != "system" for m in req.body["messages"])
    assert req.body["temperature"] == 1.0 and req.body["max_tokens"] == 3
    assert "anthropic-version" in req.headers
    assert g.finish_reason == "length" and g.completion_tokens == 3  # stop_reason max_tokens maps to 'length'


def test_model_from_argument_then_env_then_table_default(fake, clean_env):
    assert llm.get_backend("openai").model == lab.default_model("openai")
    assert llm.get_backend("openai", "gpt-6.2-sol").model == "gpt-6.2-sol"
    clean_env.setenv("AI_PM_LAB_MODEL", "llama3.2")
    g = lab.generate("hi", backend="openai")
    assert g.model == "llama3.2" and g.cost_usd is None  # a model the table does not price has no cost


def test_loopback_base_url_is_free_and_needs_no_key(clean_env, server):
    clean_env.setenv("OPENAI_BASE_URL", server.openai_base_url)
    server.reset()
    engine = llm.get_backend()  # automatic choice: a base URL selects openai
    assert engine.name == "openai" and engine.paid is False and engine.endpoint == server.openai_base_url
    lab.set_spend_cap(0.0)  # a free server is never refused by the cap
    assert lab.generate("hello", temperature=0).text.startswith(REPLY_PREFIX)
    assert lab.spend_tracker().spent_usd == 0
    assert server.calls()[0].headers["authorization"] == "<redacted>"  # placeholder key sent


def test_real_endpoints_count_as_paid(clean_env):
    clean_env.setenv("OPENAI_API_KEY", OPENAI_KEY)
    clean_env.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    o, a = remote.OpenAIBackend(), remote.AnthropicBackend()
    assert o.paid and a.paid and o.endpoint == remote.OPENAI_URL and a.endpoint == remote.ANTHROPIC_URL
    clean_env.setenv("OPENAI_BASE_URL", "https://proxy.example.com/v1")
    assert remote.OpenAIBackend().paid  # only loopback counts as free


@pytest.mark.parametrize("url,expected", [("http://localhost:11434/v1", True), ("http://127.0.0.1:1234/v1", True),
                                          ("http://127.8.9.1/v1", True), ("http://[::1]:8080/v1", True),
                                          ("https://api.openai.com/v1", False), ("http://10.0.0.5/v1", False),
                                          ("http://localhost.evil.com/v1", False)])
def test_is_loopback(url, expected):
    assert remote.is_loopback(url) is expected


@pytest.mark.parametrize("name,var", [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")])
def test_explicit_provider_without_key_says_how_to_fix(clean_env, name, var):
    with pytest.raises(ConfigurationError) as info:
        lab.generate("hi", backend=name)
    msg = str(info.value)
    for needle in (var, ".env", f"prompt_for_key('{name}')", "backend='local'"):
        assert needle in msg


def test_bad_base_url_is_a_configuration_error(clean_env):
    clean_env.setenv("OPENAI_BASE_URL", "localhost:11434")
    with pytest.raises(ConfigurationError, match="OPENAI_BASE_URL"):
        remote.OpenAIBackend()


def test_backends_are_cached_per_endpoint_and_counted_with_their_tokenizer(fake):
    a = llm.get_backend("openai")
    assert llm.get_backend("openai") is a
    reset_backends()
    assert llm.get_backend("openai") is not a  # forgotten: built again from the current settings
    assert a.count_tokens("hello world") == lab.count_tokens("hello world", backend="openai", model=a.model) > 0
    assert llm.get_backend("anthropic").count_tokens("hello world") > 0
    assert "http://127.0.0.1" in lab.describe_backend("openai")
    assert OPENAI_KEY not in repr(a) and "endpoint=" in repr(a)


def test_fake_provider_models_route_and_fault_validation():
    with FakeProvider() as f:
        data = json.load(urllib.request.urlopen(f.openai_base_url + "/models", timeout=5))
        assert data["object"] == "list" and data["data"]
        with pytest.raises(ValueError, match="Unknown fault"):
            Fault("418")
    with FakeProvider(known_models={"only-this"}) as f:
        req = urllib.request.Request(f.openai_base_url + "/chat/completions", method="POST",
                                     data=json.dumps({"model": "other", "messages": [{"role": "user", "content": "x"}]}).encode(),
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=5)
        assert info.value.code == 404


def test_fake_provider_runs_as_a_command():
    proc = subprocess.Popen([sys.executable, "-m", "ai_pm_lab.testing.fake_provider", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert "OPENAI_BASE_URL" in proc.stdout.readline()
        data = json.load(urllib.request.urlopen(url + "/v1/models", timeout=5))
        assert data["data"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
