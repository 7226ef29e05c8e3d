"""The response cache (ai_pm_lab.llm.cache): what the key covers, what is never served, two kernels writing at once,
the size bound, clearing, and a damaged file. Each test gets its own output folder (conftest changes directory)."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

from ai_pm_lab.llm import cache, local
from ai_pm_lab.llm.local import LocalBackend
from ai_pm_lab.testing.fake_model import ScriptedModel


@pytest.fixture(autouse=True)
def cache_on(monkeypatch):
    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "local")
    cache.reset_connections()
    cache.clear_cache()
    yield
    cache.reset_connections()


def request(**changes) -> dict:
    base = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}],
            "temperature": 0.0, "max_tokens": 16, "seed": 3, "stop": None}
    base.update(changes)
    return base


def record(text="red", latency=1.25) -> dict:
    return {"text": text, "prompt_tokens": 20, "completion_tokens": 1, "finish_reason": "stop",
            "model": local.LOCAL_MODEL_ID, "latency_s": latency, "cost_usd": 0.0}


def test_changing_any_field_of_the_key_misses(monkeypatch, tmp_path):
    engine = LocalBackend()
    base = cache.key_for(engine, request())
    assert base is not None and base == cache.key_for(engine, request())  # the same request, the same key
    variants = {
        "prompt": request(messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a color."}]),
        "system": request(messages=[{"role": "system", "content": "Be short."}, {"role": "user", "content": "Name a colour."}]),
        "no system": request(messages=[{"role": "user", "content": "Name a colour."}]),
        "history": request(messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                                     {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Name a colour."}]),
        "temperature": request(temperature=0.5),
        "seed": request(seed=4),
        "no seed": request(seed=None),
        "max_tokens": request(max_tokens=17),
        "stop": request(stop=["\n"]),
    }
    keys = {name: cache.key_for(engine, req) for name, req in variants.items()}
    assert all(k is not None and k != base for k in keys.values()), keys
    assert len(set(keys.values())) == len(keys)

    class Other(LocalBackend):
        name = "local-other"

    assert cache.cache_key(Other(), **request()) != base  # the backend name
    other_model = LocalBackend()
    other_model.model = "another-model"
    assert cache.cache_key(other_model, **request()) != base  # the model id
    weights = tmp_path / "model.gguf"  # another weights file: the key follows the file, not the model's name
    weights.write_bytes(b"gguf" * 100)
    monkeypatch.setattr(local, "model_path", lambda: str(weights))
    first = cache.key_for(engine, request())
    assert first != base
    weights.write_bytes(b"gguf" * 101)  # the same path with other contents
    assert cache.key_for(engine, request()) != first
    monkeypatch.setattr(local, "N_BATCH", local.N_BATCH * 2)  # prompts cut into other decode batches
    assert cache.key_for(engine, request()) not in (base, first)


def test_a_sampled_call_without_a_seed_is_never_cached_and_scripted_models_answer_live(monkeypatch):
    engine = LocalBackend()
    assert cache.key_for(engine, request(temperature=0.7, seed=None)) is None
    assert cache.key_for(engine, request(temperature=0.0, seed=None)) is not None  # greedy: the same answer every time
    assert cache.key_for(engine, request(temperature=0.7, seed=1)) is not None  # a seed fixes the sample
    with ScriptedModel("scripted") as model:  # also named "local", but it is a test double
        assert cache.key_for(model.backend, request()) is None
    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "off")
    assert cache.key_for(engine, request()) is None


def test_hosted_models_are_cached_only_when_opted_in(monkeypatch):
    from ai_pm_lab.llm.remote import OpenAIBackend

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    engine = OpenAIBackend(model="gpt-4o-mini")
    assert cache.key_for(engine, request()) is None
    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "all")
    key = cache.key_for(engine, request())
    assert key is not None and key != cache.key_for(LocalBackend(), request())


def test_a_hit_returns_the_stored_answer_and_its_original_latency_and_counts():
    key = cache.key_for(LocalBackend(), request())
    assert cache.lookup(key) is None
    cache.store(key, record(latency=3.5))
    hit = cache.lookup(key)
    assert hit["text"] == "red" and hit["latency_s"] == 3.5 and hit["finish_reason"] == "stop"
    stats = cache.cache_stats()
    assert (stats["hits"], stats["misses"], stats["entries"]) == (1, 1, 1) and stats["hit_rate"] == 0.5
    assert stats["bytes"] > 0 and stats["path"].startswith(os.getcwd())  # under this test's output folder


def test_clear_cache_empties_it():
    for i in range(3):
        cache.store(f"k{i}", record(str(i)))
    assert cache.cache_stats()["entries"] == 3
    cache.clear_cache()
    stats = cache.cache_stats()
    assert stats["entries"] == 0 and stats["bytes"] == 0 and stats["hits"] == 0
    assert cache.lookup("k0") is None


def test_the_entry_bound_evicts_the_least_recently_used(monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 10)
    for i in range(10):
        cache.store(f"k{i}", record(str(i)))
    assert cache.lookup("k0") is not None  # k0 used again: k1 is now the least recently used
    cache.store("k10", record("10"))
    assert cache.cache_stats()["entries"] == 9  # back under 90 % of the bound
    assert cache.lookup("k0") is not None and cache.lookup("k10") is not None
    assert cache.lookup("k1") is None and cache.lookup("k2") is None


def test_the_megabyte_bound_holds(monkeypatch):
    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE_MB", "1")
    for i in range(12):
        cache.store(f"k{i}", record("x" * 200_000))
    stats = cache.cache_stats()
    assert stats["bytes"] <= 1_000_000 and 3 <= stats["entries"] <= 5
    assert cache.lookup("k11") is not None and cache.lookup("k0") is None


WRITER = """
import sys, warnings
from ai_pm_lab.llm import cache
warnings.simplefilter("error", cache.CacheWarning)  # a locked database would be reported as a CacheWarning
who = sys.argv[1]
for i in range(150):
    cache.store(f"{who}-{i}", {"text": who * 50, "latency_s": 0.1})
    assert cache.lookup(f"{who}-{i}") is not None
print("done", cache.cache_stats()["entries"])
"""


def test_two_kernels_writing_at_once_lose_nothing(tmp_path):
    env = {**os.environ, "AI_PM_LAB_OUTPUT_DIR": str(tmp_path / "shared")}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, who], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for who in ("a", "b")]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    os.environ["AI_PM_LAB_OUTPUT_DIR"] = env["AI_PM_LAB_OUTPUT_DIR"]
    try:
        assert cache.cache_stats()["entries"] == 300
        assert cache.lookup("a-149")["text"] == "a" * 50 and cache.lookup("b-0")["text"] == "b" * 50
    finally:
        del os.environ["AI_PM_LAB_OUTPUT_DIR"]


def test_a_damaged_cache_file_warns_once_and_the_course_runs_uncached():
    path = cache.cache_path()
    cache.reset_connections()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{path}{suffix}"):
            os.remove(f"{path}{suffix}")
    path.write_bytes(b"this is not a database" * 100)
    with pytest.warns(cache.CacheWarning, match="cannot be used"):
        assert cache.lookup("k") is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once only: later calls are quiet
        cache.store("k", record())
        assert cache.lookup("k") is None
        assert cache.cache_stats()["entries"] == 0
    cache.clear_cache()  # deletes the damaged file and starts afresh
    cache.store("k", record())
    assert cache.lookup("k")["text"] == "red"


# --- through generate() / generate_many() on the real local model --------------------------------------------------

def test_a_second_identical_call_comes_from_the_cache_with_its_original_latency():
    import ai_pm_lab as lab

    first = lab.generate("Name a colour.", backend="local", temperature=0, max_tokens=4)
    second = lab.generate("Name a colour.", backend="local", temperature=0, max_tokens=4)
    assert not first.cached and second.cached
    assert (second.text, second.completion_tokens, second.finish_reason) == (first.text, first.completion_tokens,
                                                                             first.finish_reason)
    assert second.latency_s == first.latency_s  # measured when it was generated, not the lookup's time
    assert "from cache" in second.receipt() and "from cache" not in first.receipt()
    from ai_pm_lab.llm.backends import generate_many

    seeded = generate_many([{"prompt": "Name a colour.", "temperature": 0, "max_tokens": 4},
                                {"prompt": "Name a colour.", "temperature": 0.9, "seed": 7, "max_tokens": 4},
                                {"prompt": "Name a colour.", "temperature": 0.9, "seed": 7, "max_tokens": 4}],
                               backend="local", progress=False)
    assert [g.cached for g in seeded] == [True, False, False]  # the seeded pair is asked in one batch: both live
    again = lab.generate("Name a colour.", backend="local", temperature=0.9, seed=7, max_tokens=4)
    assert again.cached and again.text == seeded[1].text
    stats = cache.cache_stats()
    assert stats["hits"] == 3 and stats["entries"] == 2


def test_a_sampled_call_without_a_seed_is_generated_every_time():
    import ai_pm_lab as lab

    answers = [lab.generate("Name a colour.", backend="local", temperature=0.9, max_tokens=4) for _ in range(2)]
    assert [a.cached for a in answers] == [False, False]
    assert cache.cache_stats()["entries"] == 0 and cache.cache_stats()["hits"] == 0


def test_with_the_cache_off_nothing_is_served_or_stored(monkeypatch):
    import ai_pm_lab as lab

    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "off")
    answers = [lab.generate("Name a colour.", backend="local", temperature=0, max_tokens=4) for _ in range(2)]
    assert [a.cached for a in answers] == [False, False] and cache.cache_stats()["entries"] == 0


def test_a_damaged_cache_never_stops_a_lesson():
    import ai_pm_lab as lab

    path = cache.cache_path()
    cache.reset_connections()
    path.write_bytes(b"\x00garbage" * 512)
    with pytest.warns(cache.CacheWarning):
        answer = lab.generate("Name a colour.", backend="local", temperature=0, max_tokens=4)
    assert not answer.cached and answer.completion_tokens > 0


def test_next_token_scores_and_answer_confidence_are_read_back_from_disk(monkeypatch):
    import numpy as np

    from ai_pm_lab.llm import confidence, next_token

    prompt = "The capital of France is"
    next_token.reset_memory()  # an earlier test in this worker may have kept this prompt in memory (not on disk)
    first = next_token.next_token_distribution(prompt)
    conf = confidence.answer_confidence("Name a colour.", "Red.")
    assert cache.cache_stats()["entries"] == 2
    next_token.reset_memory()  # a fresh kernel: nothing in memory
    calls = []
    monkeypatch.setattr(next_token, "llama", lambda: calls.append(1))  # the model is not asked again
    monkeypatch.setattr(confidence, "llama", lambda: calls.append(1))
    again = next_token.next_token_distribution(prompt)
    assert np.array_equal(again.logits, first.logits) and again.logits.dtype == np.float32
    assert confidence.answer_confidence("Name a colour.", "Red.") == conf
    assert calls == []
    assert cache.cache_stats()["hits"] == 0  # the hit rate counts answers only
    assert cache.local_key("confidence", prompt=[1], answer=[2]) != cache.local_key("confidence", prompt=[1], answer=[3])
    assert cache.local_key("next_token", prompt=prompt) != cache.local_key("confidence", prompt=prompt)
    before = cache.local_key("next_token", prompt=prompt)
    monkeypatch.setattr(local, "N_BATCH", local.N_BATCH * 2)  # the same weights, other llama.cpp settings
    assert cache.local_key("next_token", prompt=prompt) != before


def test_a_cache_file_from_an_older_course_is_emptied_and_used():
    import sqlite3

    path = cache.cache_path()
    cache.reset_connections()
    path.unlink()
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, record TEXT NOT NULL, size INTEGER, used INTEGER)")
    old.execute("INSERT INTO responses VALUES ('k', ?, 10, 1)", ('{"text": "old"}',))
    old.commit()
    old.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.lookup("k") is None
        cache.store("k", record())
        assert cache.lookup("k")["text"] == "red"
