"""The side-by-side comparison ("try ChatGPT, Claude and Gemini") against the loopback fake provider, offline:
which backends take part, the Gemini path (key, base URL, default model, pricing), the spend cap, reuse of the
lesson's probe, and the note that explains how to add a key."""
from __future__ import annotations

import pandas as pd
import pytest
from remote_support import ANTHROPIC_KEY, OPENAI_KEY, clean_env, server  # noqa: F401

import ai_pm_lab as lab
from ai_pm_lab.limits import side_by_side
from ai_pm_lab.limits.capabilities import guide_table, load_tasks
from ai_pm_lab.llm import remote
from ai_pm_lab.llm.backends import configured_backends, get_backend
from ai_pm_lab.settings import api_key, choose_backend
from ai_pm_lab.testing import secret_scan
from ai_pm_lab.testing.fake_model import ScriptedModel
from ai_pm_lab.testing.fake_provider import REPLY_PREFIX, fake_reply

GEMINI_KEY = "AI" + "za" + "Te5tKeyGemini" * 3  # built at run time: no key-shaped literal in the file
TASKS = {t["id"]: t for t in load_tasks()}
RIGHT = {"transformation-10": "tcudorp", "extraction-01": '{"name": "Maria Lopez", "city": "Denver"}',
         "reasoning-01": "He gets 8 dollars back. Answer: 8", "factual_recall-07": "Canberra"}


def right_answer(prompt: str) -> str:
    """The scripted local model answers every default task correctly."""
    return next(RIGHT[i] for i in side_by_side.DEFAULT_TASKS if TASKS[i]["prompt"] == prompt)


@pytest.fixture
def every_provider(server, clean_env):
    """OpenAI, Anthropic and Gemini keys set, every SDK pointed at the fake provider."""
    server.reset()
    clean_env.setenv("OPENAI_BASE_URL", server.openai_base_url)
    clean_env.setenv("OPENAI_API_KEY", OPENAI_KEY)
    clean_env.setenv("ANTHROPIC_BASE_URL", server.url)
    clean_env.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    clean_env.setenv("GEMINI_API_KEY", GEMINI_KEY)
    clean_env.setenv("GEMINI_BASE_URL", server.openai_base_url)
    yield server
    server.reset()


def test_with_no_key_only_the_local_model_answers_and_the_note_says_how_to_add_one(clean_env):
    assert configured_backends() == ["local"]
    with ScriptedModel(right_answer) as model:
        table = side_by_side.compare_backends(progress=False)
    assert list(table["backend"].unique()) == ["local"] and len(table) == len(side_by_side.DEFAULT_TASKS)
    assert table["correct"].all() and (table["cost_usd"] == 0).all() and len(model.prompts) == 4
    note = side_by_side.note(table)
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENAI_BASE_URL", "AI_PM_LAB_SPEND_CAP_USD"):
        assert var in note


def test_every_configured_backend_answers_the_same_tasks_scored_timed_and_priced(every_provider):
    assert configured_backends() == ["local", "openai", "anthropic", "gemini"]
    with ScriptedModel(right_answer, replaces="local"):
        table = side_by_side.compare_backends(progress=False)
    assert list(table["backend"].unique()) == ["local", "openai", "anthropic", "gemini"]
    assert (table.groupby("backend")["task"].apply(list) == [list(side_by_side.DEFAULT_TASKS)] * 4).all()
    models = table.groupby("backend")["model"].first().to_dict()
    assert models == {"local": "smollm2-135m-instruct", "openai": "gpt-6-luna", "anthropic": "claude-haiku-5-5",
                      "gemini": "gemini-3.5-flash-lite"}
    hosted = table[table["backend"] != "local"]
    assert hosted["error"].isna().all() and hosted["answer"].str.startswith(REPLY_PREFIX).all()
    assert not hosted["correct"].any() and table.loc[table["backend"] == "local", "correct"].all()  # the probe's scorers
    assert (hosted["latency_s"] > 0).all()
    gemini_calls = [r for r in every_provider.calls("/v1/chat/completions") if r.body["model"] == "gemini-3.5-flash-lite"]
    assert len(gemini_calls) == 4  # through the OpenAI SDK, at GEMINI_BASE_URL
    for row in hosted.itertuples():
        task = TASKS[row.task]
        limit = int(guide_table().set_index("capability").at[task["capability"], "max_tokens"])
        _, p, c, _ = fake_reply([{"role": "user", "content": task["prompt"]}], limit)
        assert row.cost_usd == pytest.approx(lab.estimate_cost(row.model, p, c))  # priced from the table's own row
    info = lab.model_info("gemini-3.5-flash-lite")
    gem = hosted[hosted["backend"] == "gemini"]
    assert info.provider == "google" and (gem["cost_usd"] > 0).all()
    summary = side_by_side.summary(table)
    assert list(summary["passed"]) == [4, 0, 0, 0] and summary["total_cost_usd"].iloc[0] == 0
    assert side_by_side.note(table) == ""
    line = lab.describe_backend("gemini")  # the backend line names the model, the SDK and the endpoint
    assert "Gemini 3.5 Flash-Lite" in line and "OpenAI SDK" in line and every_provider.openai_base_url in line


def test_the_spend_cap_refuses_paid_calls_row_by_row(every_provider):
    for name in ("openai", "anthropic", "gemini"):
        get_backend(name, side_by_side.model_for(name)).paid = True  # the loopback fake stands in for a priced API
    lab.set_spend_cap(0.0)
    with ScriptedModel(right_answer, replaces="local"), pytest.warns(Warning):
        table = side_by_side.compare_backends(progress=False)
    hosted = table[table["backend"] != "local"]
    assert hosted["error"].str.startswith("SpendCapError").all() and not hosted["correct"].any()
    assert every_provider.calls() == [] and lab.spend_tracker().spent_usd == 0
    assert table.loc[table["backend"] == "local", "correct"].all()  # the free local model is never refused


def test_gemini_needs_its_key_and_defaults_to_googles_openai_compatible_endpoint(clean_env):
    with pytest.raises(lab.ConfigurationError, match="GEMINI_API_KEY"):
        get_backend("gemini")
    clean_env.setenv("GEMINI_API_KEY", GEMINI_KEY)
    assert choose_backend() == "gemini" and configured_backends() == ["local", "gemini"]
    engine = get_backend()
    assert isinstance(engine, remote.GeminiBackend) and engine.name == "gemini"
    assert engine.endpoint == remote.GEMINI_URL.rstrip("/") and engine.paid and engine.model == "gemini-3.5-flash-lite"
    assert GEMINI_KEY not in remote.scrub(f"bad key {GEMINI_KEY}") and GEMINI_KEY not in repr(api_key("gemini"))
    clean_env.setenv("OPENAI_API_KEY", OPENAI_KEY)
    assert choose_backend() == "openai"  # OpenAI, then Anthropic, then Gemini


def test_the_local_rows_reuse_the_lessons_probe_without_calling_the_model(clean_env):
    probe = pd.DataFrame([{"id": i, "answer": RIGHT[i], "correct": True, "latency_s": 0.5, "error": None}
                          for i in side_by_side.DEFAULT_TASKS])
    with ScriptedModel("never asked") as model:
        table = side_by_side.compare_backends(probe=probe, progress=False)
    assert model.prompts == [] and table["correct"].all() and (table["latency_s"] == 0.5).all()


def test_bad_input_gets_a_clear_error(clean_env):
    with pytest.raises(ValueError, match="Unknown probe task"):
        side_by_side.compare_backends(["no-such-task"])
    with pytest.raises(TypeError, match="list of probe task ids"):
        side_by_side.compare_backends("reasoning-01")
    with pytest.raises(lab.ConfigurationError, match="Unknown backend"):
        side_by_side.compare_backends(backends=["gpt"])
    with pytest.raises(TypeError, match="compare_backends"):
        side_by_side.summary(pd.DataFrame())


def test_the_secret_scanner_knows_gemini_keys():
    assert secret_scan.find_secrets(f"key = '{GEMINI_KEY}'")[0][0] == "Google key"
    assert secret_scan.find_secrets("GEMINI_API_KEY" + "=abcdefghijklmnopqrstu")
    assert not secret_scan.find_secrets("GEMINI_API_KEY=...")
