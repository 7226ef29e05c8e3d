"""Unit tests of the course package's foundation: catalog, costs, settings, generation and the next-token distribution."""
import bpe_openai
import numpy as np
import pytest

import ai_pm_lab as lab
from ai_pm_lab import catalog, settings
from ai_pm_lab.errors import ConfigurationError, ContextWindowError, InputError, SpendCapError
from ai_pm_lab.llm.next_token import entropy_bits, next_token_distribution, softmax_with_temperature
from ai_pm_lab.llm.tokens import openai_encoding_name, text_pieces
from ai_pm_lab.rag import RAGPipeline


# --- price-and-context table -------------------------------------------------------------------
def test_price_table_has_one_default_per_backend_and_dates():
    for provider in ("local", "openai", "anthropic"):
        assert sum(m.default for m in catalog.models(provider)) == 1
        assert catalog.model_info(lab.default_model(provider)).status == "current"
    for m in catalog.models(include_retired=True):
        assert m.checked[:4].isdigit() and m.context_window > 0 and m.input_usd_per_1m >= 0 and m.source


def test_unknown_model_lists_known_ids():
    with pytest.raises(ConfigurationError, match=lab.default_model("openai")):
        lab.model_info("gpt-7-ultra")


def test_estimate_cost_arithmetic_matches_table():
    model = lab.default_model("openai")
    info = lab.model_info(model)
    expected = (1000 * info.input_usd_per_1m + 500 * info.output_usd_per_1m) / 1e6
    assert lab.estimate_cost(model, 1000, 500) == pytest.approx(expected)
    cached = lab.estimate_cost(model, 1000, 500, cached_prompt_tokens=1000)
    assert cached < lab.estimate_cost(model, 1000, 500)
    assert lab.estimate_cost("smollm2-135m-instruct", 10**6, 10**6) == 0


@pytest.mark.parametrize("bad", [-1, 1.5, float("nan"), "10", None])
def test_estimate_cost_rejects_bad_counts(bad):
    with pytest.raises((TypeError, ValueError)):
        lab.estimate_cost(lab.default_model("openai"), bad, 10)


# --- backend choice and keys -------------------------------------------------------------------
def test_backend_choice_order(monkeypatch):
    assert settings.choose_backend() == "local"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-not-a-real-key")
    assert settings.choose_backend() == "anthropic"
    monkeypatch.setenv("OPENAI_API_KEY", "test-not-a-real-key")
    assert settings.choose_backend() == "openai"
    monkeypatch.setenv("AI_PM_LAB_BACKEND", "local")
    assert settings.choose_backend() == "local"
    assert settings.choose_backend("anthropic") == "anthropic"


def test_unknown_backend_names_the_choices():
    with pytest.raises(ConfigurationError, match="local, openai, anthropic"):
        lab.generate("hi", backend="gemini-pro-max")


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("AI_PM_LAB_BACKEND=anthropic\n")
    assert settings.choose_backend() == "anthropic"


def test_secret_never_shows_itself():
    s = settings.Secret("sk" + "-live-abcdefghijklmnop")
    assert "abcdef" not in repr(s) and "abcdef" not in str(s) and "abcdef" not in f"{s}"
    assert s.reveal().endswith("mnop")


# --- generation on the local model ---------------------------------------------------------------
def test_local_generation_returns_receipts():
    g = lab.generate("Say hello.", max_tokens=8, seed=1)
    assert isinstance(g.text, str)
    assert g.backend == "local" and g.model == "smollm2-135m-instruct"
    assert g.prompt_tokens > 0 and 0 < g.completion_tokens <= 8
    assert g.latency_s > 0 and g.cost_usd == 0
    assert "smollm2" in g.receipt()


def test_same_seed_same_text_and_temperature_zero_is_deterministic():
    a = lab.generate("Name a colour.", temperature=1.0, max_tokens=10, seed=5)
    b = lab.generate("Name a colour.", temperature=1.0, max_tokens=10, seed=5)
    assert a.text == b.text
    c = [lab.generate("Name a fruit.", temperature=0, max_tokens=10, seed=s).text for s in (1, 2)]
    assert c[0] == c[1]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(prompt=""), ValueError),
        (dict(prompt="   "), ValueError),
        (dict(prompt=None), TypeError),
        (dict(prompt=b"bytes"), TypeError),
        (dict(prompt="hi", temperature=2.5), ValueError),
        (dict(prompt="hi", temperature=-0.1), ValueError),
        (dict(prompt="hi", temperature=float("nan")), ValueError),
        (dict(prompt="hi", max_tokens=0), ValueError),
        (dict(prompt="hi", backend="nope"), ValueError),
    ],
)
def test_bad_input_gets_clear_errors(kwargs, error):
    with pytest.raises(error) as info:
        lab.generate(**kwargs)
    assert len(str(info.value)) > 20


def test_explicit_provider_without_key_says_how_to_fix():
    with pytest.raises(ConfigurationError) as info:
        lab.generate("hi", backend="anthropic")
    assert "ANTHROPIC_API_KEY" in str(info.value) and "local" in str(info.value)


def test_prompt_longer_than_window_is_a_clear_error():
    with pytest.raises(ContextWindowError, match="window"):
        lab.generate("word " * 5000, max_tokens=4)


def test_spend_cap_refuses_with_figures():
    tracker = lab.set_spend_cap(0.001)
    tracker.spent_usd = 0.0009
    with pytest.raises(SpendCapError, match=r"\$0\.001"):
        tracker.check(0.0002, "gpt-6-luna")
    tracker.check(0.00005, "gpt-6-luna")
    with pytest.raises(ValueError):
        lab.set_spend_cap(-1)


# --- tokens ------------------------------------------------------------------------------------
def test_token_counts_per_backend():
    text = "The cat sat on the mat."
    assert lab.count_tokens(text, backend="local") == len(lab.token_pieces(text))
    assert "".join(lab.token_pieces(text)) == text
    assert lab.count_tokens(text, backend="openai") == 7  # o200k_base, checked against the published vocabulary
    assert lab.count_tokens("", backend="local") == 0
    table = lab.compare_tokenizers(text)
    assert set(table["provider"]) >= {"local", "openai", "anthropic"}
    with pytest.raises(TypeError):
        lab.count_tokens(42)


def test_a_mistyped_model_id_names_the_close_ids_instead_of_counting_on_another_tokenizer():
    with pytest.raises(ConfigurationError, match="gpt-4o-mini") as info:
        lab.count_tokens("hello there", model="gpt-4o-mni")
    assert "Did you mean" in str(info.value) and "backend=" in str(info.value)
    with pytest.raises(ConfigurationError, match="gpt-6-luna"):
        lab.count_tokens("hello there", backend="openai", model="gpt-6-lun")
    assert lab.count_tokens("hello there", model="gpt-4o-mini") == lab.count_tokens("hello there", backend="openai")
    # a model a compatible server runs (Ollama) is no typo: counted on the named backend's tokenizer
    assert lab.count_tokens("hello there", backend="openai", model="llama3.2") == lab.count_tokens("hello there", backend="openai")
    with pytest.raises(ConfigurationError, match="backend="):
        lab.count_tokens("hello there", model="llama3.2")  # no backend: no tokenizer to pick


def test_long_text_is_counted_in_pieces_that_add_up_exactly():
    unit = "Refunds within 30 days, 1,250.75 EUR; naïve café (über) -- see kb-002!\n\n  x  "
    text = unit * 16_000  # 1.2M characters: the tokenizer library alone refuses 1,000,000+
    assert len(text) > 1_200_000
    pieces = text_pieces(text)
    assert "".join(pieces) == text and max(map(len, pieces)) <= 50_000
    whole = lab.count_tokens(text, backend="openai")
    assert whole > 0 and lab.count_tokens(text, backend="anthropic") > 0
    sample = unit * 2_000  # small enough to count in one go: small pieces give the same total
    one_go = lab.count_tokens(sample, backend="openai")
    enc = bpe_openai.get_encoding(openai_encoding_name(lab.default_model("openai")))
    assert one_go == len(enc.encode(sample)) == sum(len(enc.encode(p)) for p in text_pieces(sample, size=997))
    assert whole == one_go * 8  # the same unit 16,000 times, whatever the cuts


@pytest.mark.parametrize("call", [
    lambda t: lab.generate(t, max_tokens=2),
    lambda t: lab.count_tokens(t, backend="openai"),
    lambda t: lab.count_tokens(t, backend="local"),
    lambda t: next_token_distribution(t),
])
def test_a_lone_surrogate_is_a_clear_error_with_its_position(call):
    with pytest.raises(InputError, match="position 9") as info:
        call("Refunds: \ud800 within 30 days")
    assert "encode('utf-8', 'replace')" in str(info.value)


def test_a_lone_surrogate_in_a_question_to_the_knowledge_base_is_a_clear_error(tmp_path):
    (tmp_path / "refunds.md").write_text("---\nid: r\ntitle: Refunds\ndate: 2025-01-01\n---\nRefunds within 30 days.")
    with pytest.raises(InputError, match="broken character"):
        RAGPipeline(tmp_path).retrieve("refund \udcff policy")


# --- next-token distribution -----------------------------------------------------------------
def test_distribution_is_a_real_probability_distribution():
    dist = next_token_distribution("The cat sat on the")
    assert dist.vocab_size == 49152
    for t in (0.0, 0.5, 1.0, 2.0):
        p = dist.probs(t)
        assert p.shape == (49152,) and abs(p.sum() - 1) < 1e-6 and (p >= 0).all()
    top = dist.top_k(10)
    assert list(top["rank"]) == list(range(1, 11))
    assert top["probability"].is_monotonic_decreasing
    assert dist.entropy(0.0) == 0
    assert dist.entropy(0.5) < dist.entropy(1.0) < dist.entropy(2.0)
    assert dist.rank_of(top["token"].iloc[0]) == 1
    assert next_token_distribution("The cat sat on the") is dist  # cached: the slider never re-runs the model


def test_distribution_matches_generation_at_temperature_zero():
    from ai_pm_lab.llm.local import llama

    dist = next_token_distribution("The capital of France is")
    out = llama().create_completion("The capital of France is", max_tokens=1, temperature=0)
    assert out["choices"][0]["text"] == dist.top_k(1)["token"].iloc[0]


def test_softmax_and_entropy_math():
    logits = np.array([2.0, 1.0, 0.0])
    p = softmax_with_temperature(logits, 1.0)
    assert p == pytest.approx(np.exp(logits) / np.exp(logits).sum())
    assert entropy_bits(np.ones(4) / 4) == pytest.approx(2.0)
    assert softmax_with_temperature(logits, 0).tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        softmax_with_temperature(logits, 3)
    with pytest.raises(ValueError):
        softmax_with_temperature(np.array([]), 1)


def test_sampling_is_seeded():
    dist = next_token_distribution("The cat sat on the")
    assert dist.sample(20, 1.0, seed=3) == dist.sample(20, 1.0, seed=3)
    assert len(set(dist.sample(50, 0.0, seed=3))) == 1
