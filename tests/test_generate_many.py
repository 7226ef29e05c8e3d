"""generate_many(): many requests on one path with generate(), stop rules on every backend, and run_harness with a
ModelStep giving the same rows as the equivalent plain function (scripted model and loopback fake provider)."""
from __future__ import annotations

import warnings
from dataclasses import replace

import pandas as pd
import pytest
from remote_support import clean_env, fake, paid_backend, server  # noqa: F401

import ai_pm_lab as lab
from ai_pm_lab.errors import InputError, InputTypeError, ProviderError
from ai_pm_lab.evaluation.harness import HarnessWarning, ModelStep, run_harness
from ai_pm_lab.llm import generate_many, local
from ai_pm_lab.llm.backends import backend_override, generate
from ai_pm_lab.llm.base import Backend, Generation, RawReply
from ai_pm_lab.llm.fallback import FallbackWarning
from ai_pm_lab.testing.fake_model import ScriptedModel, fake_generation
from ai_pm_lab.testing.fake_provider import fake_reply

PROMPT = "What is the refund window for annual plans"


def echo(prompt, **kw):
    return f"answer to {prompt}"


# --- stop rules ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stop,error", [(5, InputTypeError), ({"a": 1}, InputTypeError), (["ok", 3], InputTypeError),
                                        ([], InputError), (["a", "b", "c", "d", "e"], InputError), ([""], InputError),
                                        ("x" * 41, InputError)])
def test_a_bad_stop_rule_is_a_course_error(stop, error):
    with ScriptedModel("fine") as model:
        with pytest.raises(error, match="stop"):
            generate(PROMPT, stop=stop)
    assert model.calls == []  # refused before anything was sent


def test_the_scripted_model_sees_the_stop_rule_and_ends_its_reply_there():
    with ScriptedModel("Paris\nand more lines") as model:
        g = generate(PROMPT, stop="\n")
        assert g.text == "Paris" and model.calls[0].stop == ["\n"]
        assert generate(PROMPT, stop=None).text == "Paris\nand more lines" and model.calls[1].stop is None


def test_stop_reaches_the_openai_api(fake):
    g = lab.generate(PROMPT, backend="openai", stop=["refund", "\n"], max_tokens=40)
    (req,) = fake.calls("/v1/chat/completions")
    assert req.body["stop"] == ["refund", "\n"]
    assert g.text == fake_reply([{"role": "user", "content": PROMPT}], 40, ["refund"])[0] and "refund" not in g.text


def test_stop_reaches_the_anthropic_api_and_whitespace_rules_are_applied_to_the_text(fake):
    g = lab.generate(PROMPT, backend="anthropic", stop=["refund", "\n"], max_tokens=40)
    (req,) = fake.calls("/v1/messages")
    assert req.body["stop_sequences"] == ["refund"]  # Anthropic refuses whitespace-only stop sequences
    assert g.text.endswith("the") and g.finish_reason == "stop"
    lab.generate(PROMPT, backend="anthropic", stop=" ", max_tokens=40)  # only whitespace: nothing sent, text cut here
    assert "stop_sequences" not in fake.calls("/v1/messages")[-1].body


def test_stop_reaches_gemini_through_the_openai_sdk(fake, clean_env):
    clean_env.setenv("GEMINI_API_KEY", "test-" + "not-a-real-key")
    clean_env.setenv("GEMINI_BASE_URL", fake.openai_base_url)
    lab.generate(PROMPT, backend="gemini", stop="plans", max_tokens=40)
    assert fake.calls("/v1/chat/completions")[-1].body["stop"] == ["plans"]


class RecordingLlama:
    """Stands in for llama_cpp.Llama: records what create_chat_completion was given."""

    def __init__(self):
        self.kwargs = None

    def tokenize(self, data, add_bos=False, special=False):
        return list(range(len(data.split())))

    def create_chat_completion(self, **kwargs):
        self.kwargs = kwargs
        return {"choices": [{"message": {"content": "Paris"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1}}


def test_stop_reaches_the_local_model(monkeypatch):
    fake_llama = RecordingLlama()
    monkeypatch.setattr(local, "llama", lambda: fake_llama)
    g = generate(PROMPT, backend="local", stop=["\n", "Question:"], max_tokens=9, seed=1)
    assert fake_llama.kwargs["stop"] == ["\n", "Question:"] and fake_llama.kwargs["max_tokens"] == 9
    assert g.text == "Paris"


# --- generate_many --------------------------------------------------------------------------------------------------
def test_results_come_back_in_input_order_with_each_failure_in_its_place():
    requests = [{"prompt": "one"}, "two", {"prompt": ""}, {"prompt": "four", "max_token": 5}, 7,
                {"prompt": "six", "stop": 3}, {"prompt": "seven", "system": "Be brief.", "temperature": 0, "seed": 3}]
    finished = []
    with ScriptedModel(echo) as model:
        results = generate_many(requests, progress=False, on_done=finished.append)
    assert [type(r) for r in results] == [Generation, Generation, InputError, InputError, InputTypeError,
                                         InputTypeError, Generation]
    assert [results[i].text for i in (0, 1, 6)] == ["answer to one", "answer to two", "answer to seven"]
    assert "max_token" in str(results[3]) and "requests[3]" in str(results[3])
    assert model.prompts == ["one", "two", "seven"]  # a bad request is never sent
    assert model.calls[-1].system == "Be brief." and model.calls[-1].seed == 3
    assert sorted(finished) == list(range(len(requests)))  # every request reported finished exactly once


def test_generate_is_a_one_item_generate_many():
    with ScriptedModel(echo):
        one = generate("hello", temperature=0, max_tokens=20)
        (many,) = generate_many([{"prompt": "hello", "temperature": 0, "max_tokens": 20}], progress=False)
    assert (one.text, one.prompt_tokens, one.completion_tokens, one.batch_size, one.cached) == \
           (many.text, many.prompt_tokens, many.completion_tokens, 1, False)
    with ScriptedModel(echo), pytest.raises(InputError):
        generate("")  # generate() raises its one error, as before


@pytest.mark.parametrize("bad,error", [("not a list", InputTypeError), ({"prompt": "x"}, InputTypeError)])
def test_requests_must_be_a_list(bad, error):
    with pytest.raises(error, match="list"):
        generate_many(bad)


def test_concurrency_is_checked():
    with pytest.raises(InputError, match="concurrency"):
        generate_many(["a"], concurrency=0)


class BatchingBackend(Backend):
    """A backend that decodes up to three requests at once and finishes each batch's items in reverse order."""

    name = "local"
    batch_size = 3

    def __init__(self):
        super().__init__("smollm2-135m-instruct")
        self.batches = []

    def count_tokens(self, text):
        return len(text.split())

    def _complete(self, messages, **kw):
        raise AssertionError("a backend with _complete_many is sent batches, never one request at a time")

    def _complete_many(self, requests, on_done=None):
        self.batches.append([r["messages"][-1]["content"] for r in requests])
        out = []
        for r in requests:
            prompt = r["messages"][-1]["content"]
            out.append(RuntimeError("decode failed") if prompt == "boom" else
                       RawReply(f"{prompt}!", 3, r["max_tokens"], "length", "smollm2-135m-instruct"))
        for i in reversed(range(len(requests))):
            if on_done is not None:
                on_done(i)
        return out


def test_a_batching_backend_gets_chunks_of_its_batch_size_and_results_stay_in_order():
    engine = BatchingBackend()
    prompts = ["a", "b", "boom", "d", "e", "f", "g"]
    finished = []
    with backend_override(engine):
        results = generate_many([{"prompt": p, "max_tokens": 4, "stop": "\n"} for p in prompts], progress=False,
                                on_done=finished.append)
    assert engine.batches == [["a", "b", "boom"], ["d", "e", "f"], ["g"]]
    assert isinstance(results[2], RuntimeError)
    assert [r.text for i, r in enumerate(results) if i != 2] == ["a!", "b!", "d!", "e!", "f!", "g!"]
    assert [r.batch_size for i, r in enumerate(results) if i != 2] == [3, 3, 3, 3, 3, 1]
    assert sorted(finished) == list(range(7))
    assert all(r.latency_s >= 0 for i, r in enumerate(results) if i != 2)


def test_a_caller_can_choose_the_batch_size_and_a_model_step_passes_it_on():
    engine = BatchingBackend()
    with backend_override(engine):
        results = generate_many([{"prompt": p, "max_tokens": 4} for p in "abcde"], progress=False, batch_size=2)
        assert engine.batches == [["a", "b"], ["c", "d"], ["e"]] and [r.text for r in results] == \
            [f"{p}!" for p in "abcde"]
        engine.batches.clear()
        step = ModelStep(lambda item: {"prompt": item["p"], "max_tokens": 4}, lambda item, g: {"answer": g.text},
                         batch_size=4)
        rows = run_harness([{"p": p} for p in "abcde"], step, progress=False)
    assert engine.batches == [["a", "b", "c", "d"], ["e"]] and list(rows["answer"]) == [f"{p}!" for p in "abcde"]
    with pytest.raises(InputError, match="batch_size"):
        generate_many(["a"], batch_size=0)


def test_receipts_say_batch_and_cache():
    batched = replace(fake_generation("x", latency_s=0.5), batch_size=8)
    assert "0.50 s (in a batch of 8)" in batched.receipt()
    cached = replace(fake_generation("x", latency_s=1.25), cached=True)
    assert "from cache (generated in 1.25 s)" in cached.receipt()
    plain_one = fake_generation("x")
    assert (plain_one.batch_size, plain_one.cached) == (1, False) and "batch" not in plain_one.receipt()


def test_fallback_answers_only_the_failed_requests_and_says_so_once(fake):
    fake.fail("503", "503", "503")  # the first request fails on every try (concurrency 1: the order is fixed)
    with ScriptedModel("local answer", replaces="local"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = generate_many([PROMPT, "Second question here", "Third one"], backend="openai", fallback="local",
                                concurrency=1, progress=False)
    assert [r.backend for r in results] == ["local", "openai", "openai"]
    assert results[0].text == "local answer"
    assert len([w for w in caught if issubclass(w.category, FallbackWarning)]) == 1
    fake.fail("503", "503", "503")
    (failed, ok) = generate_many([PROMPT, "Second"], backend="openai", concurrency=1, progress=False)
    assert isinstance(failed, ProviderError) and isinstance(ok, Generation)  # no fallback asked: the error stays


# --- run_harness with a ModelStep -----------------------------------------------------------------------------------
ITEMS = [{"id": i, "question": q} for i, q in enumerate(
    ["What is the refund window", "", "How do I cancel", "PREPARE-FAILS", "FINISH-FAILS", "Who approves discounts"])]


def prepare(item):
    if item["question"] == "PREPARE-FAILS":
        raise KeyError("context")
    return {"prompt": item["question"], "system": "Answer in one line.", "temperature": 0, "max_tokens": 12}


def finish(item, g):
    if item["question"] == "FINISH-FAILS":
        raise ValueError("could not parse the answer")
    return {"answer": g.text, "tokens": g.completion_tokens, "cost": g.cost_usd, "by": g.backend}


def score(item, result):
    return {"long": len(result["answer"]) > 20}


def plain(step: ModelStep):
    def call(item):
        return step.finish(item, lab.generate(**step.prepare(item), backend=step.backend, model=step.model,
                                              fallback=step.fallback))
    return call


def both(step: ModelStep) -> tuple[pd.DataFrame, pd.DataFrame]:
    with pytest.warns(HarnessWarning):
        stepped = run_harness(ITEMS, step, score, desc="stepped", progress=False)
    with pytest.warns(HarnessWarning):
        one_by_one = run_harness(ITEMS, plain(step), score, desc="plain", progress=False)
    return stepped, one_by_one


def test_a_model_step_gives_the_rows_of_the_plain_function_on_the_scripted_model():
    with ScriptedModel(echo):
        stepped, one_by_one = both(ModelStep(prepare, finish))
    pd.testing.assert_frame_equal(stepped, one_by_one)
    assert list(stepped.columns) == ["id", "question", "answer", "tokens", "cost", "by", "long", "error"]
    errors = stepped["error"].tolist()
    assert pd.isna(errors[0]) and errors[1].startswith("InputError") and errors[3].startswith("KeyError")
    assert errors[4] == "ValueError: could not parse the answer"


def test_a_model_step_gives_the_rows_of_the_plain_function_on_a_hosted_api(fake):
    paid_backend("openai", "gpt-6.2-sol")
    stepped, one_by_one = both(ModelStep(prepare, finish, backend="openai", model="gpt-6.2-sol"))
    pd.testing.assert_frame_equal(stepped, one_by_one)
    assert stepped["cost"].dropna().gt(0).all() and stepped["by"].dropna().eq("openai").all()
    assert len(fake.calls()) == 2 * 4  # four sendable items, in each of the two runs


def test_a_setting_wrong_for_the_whole_run_is_in_every_row_like_the_plain_function():
    with ScriptedModel(echo):
        stepped, one_by_one = both(ModelStep(prepare, finish, fallback="cloud"))
    pd.testing.assert_frame_equal(stepped, one_by_one)
    assert stepped["error"].str.startswith("ConfigurationError").sum() == 4


def test_model_step_checks_its_parts():
    with pytest.raises(InputTypeError, match="prepare"):
        ModelStep("not a function", finish)
    with pytest.raises(InputTypeError, match="ModelStep"):
        run_harness(ITEMS, 42)
