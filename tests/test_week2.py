"""Week 2 package: scorers, verdicts, strategies, needle, diversity, costs, builds; bad input gets a clear error."""
import json
import math

import pandas as pd
import pytest

from ai_pm_lab import ContextWindowError, budget, builds, catalog
from ai_pm_lab.evaluation import classification, scorers
from ai_pm_lab.limits import capabilities, consistency, context, hallucination
from ai_pm_lab.llm.next_token import next_token_distribution
from ai_pm_lab.testing.fake_model import ScriptedModel
from conftest import ROOT

# ---------- data ----------

def test_capability_tasks_cover_seven_capabilities_with_ten_items_each():
    tasks = capabilities.load_tasks()
    assert len(capabilities.capabilities()) == 7
    counts = pd.Series([t["capability"] for t in tasks]).value_counts()
    assert set(counts.index) == set(capabilities.capabilities()) and (counts >= 10).all()
    assert len({t["id"] for t in tasks}) == len(tasks)
    assert {t["scorer"] for t in tasks} <= set(capabilities.SCORER_RULES)


def test_hallucination_questions_cover_three_kinds_including_the_2035_super_bowl():
    qs = hallucination.questions()
    assert {q["kind"] for q in qs} == set(hallucination.KINDS)
    assert any("2035" in q["question"] and "Super Bowl" in q["question"] for q in qs)
    for q in hallucination.questions("answerable"):
        assert q["answers"] and any(a.lower() in q["passage"].lower() for a in q["answers"])
    for q in qs:
        if q["kind"] != "answerable":
            assert q["answers"] == []


def test_tickets_are_at_least_100_and_labelled():
    t = builds.tickets()
    assert len(t) >= 100 and t["text"].str.len().gt(10).all()
    assert set(t["label"]) == set(builds.labels()) and t["ticket_id"].is_unique


# ---------- scorers ----------

@pytest.mark.parametrize("answer,expected,ok", [
    ("The capital is Paris.", ["paris"], True), ("Parisian food", ["paris"], False), ("AU", ["au"], True),
    ("It is 7.", ["7", "seven"], True), ("", ["x"], False)])
def test_score_contains_is_whole_word(answer, expected, ok):
    assert scorers.score_contains(answer, expected) is ok


def test_json_scorer_needs_valid_json_with_matching_fields():
    assert scorers.score_json('```json\n{"name": "Maria Lopez", "city": "Denver"}\n```', {"name": "Maria Lopez", "city": "Denver"})
    assert not scorers.score_json('{"name": "Maria Lopez"}', {"name": "Maria Lopez", "city": "Denver"})
    assert not scorers.score_json("name: Maria Lopez", {"name": "Maria Lopez"})
    assert scorers.extract_json('text {"a": 1} more') == {"a": 1}
    assert scorers.extract_json("{not json}") is None


def test_numeric_label_and_rubric_scorers():
    assert scorers.last_number("first 3 then 1,250.5") == 1250.5 and scorers.last_number("none") is None
    assert scorers.score_numeric("So the answer is 4.5", 4.5) and not scorers.score_numeric("45", 4.5)
    assert scorers.first_label("Not spam, clearly.", ["spam", "not spam"]) == "not spam"
    assert scorers.first_label("Billing: charged twice (not shipping)", ["billing", "shipping"]) == "billing"
    assert scorers.score_rubric("A bottle that keeps water cold", ["bottle"], min_words=4, max_words=10)
    assert not scorers.score_rubric("Bottle.", ["bottle"], min_words=4, max_words=10)


def test_every_task_scores_its_own_expected_answer_as_correct():
    for t in capabilities.load_tasks():
        e = t["expected"]
        if t["scorer"] == "contains":
            answer = e[0]
        elif t["scorer"] == "json":
            import json
            answer = json.dumps(e)
        elif t["scorer"] == "numeric":
            answer = f"The result is {e}"
        elif t["scorer"] == "label":
            answer = e
        else:
            answer = f"A short line about {e[0]} for everyone"
        assert capabilities.score(t, answer), t["id"]


def test_run_probe_and_accuracy_table_with_a_scripted_model(fake_model):
    fake_model.reply_with("Paris")
    results = capabilities.run_probe(per_capability=2, progress=False)
    assert len(results) == 14 and results["correct"].dtype == bool
    table = capabilities.accuracy_table(results)
    assert list(table["capability"]) == capabilities.capabilities()
    assert table["accuracy"].between(0, 1).all() and (table["items"] == 2).all()
    factual = table.set_index("capability").loc["factual_recall", "correct"]
    assert factual == 1  # only "capital of France" is answered by "Paris"
    fig = capabilities.plot_accuracy(table)
    assert len(fig.axes) == 2


# ---------- hallucination ----------

@pytest.mark.parametrize("answer,accepted,verdict", [
    ("It is 45 days.", ["45"], "grounded"), ("I don't know.", ["45"], "refused"), ("Thirty days", ["45"], "hallucinated"),
    ("The Kansas City Chiefs won.", [], "hallucinated"), ("That game has not happened yet.", [], "refused"),
    ("", [], "refused"), ("I do not know what the Zentrix Q9 is.", [], "refused")])
def test_verdict_rule(answer, accepted, verdict):
    assert hallucination.verdict(answer, accepted) == verdict


def test_modes_build_different_prompts():
    q = hallucination.question("future-1")
    alone, _ = hallucination.build_prompt(q, "no context")
    ctx, system = hallucination.build_prompt(q, "with context")
    strict, strict_system = hallucination.build_prompt(q, "context + only-from-context")
    assert q["passage"] not in alone and q["passage"] in ctx and system is None
    assert hallucination.ONLY_FROM_CONTEXT in strict and strict_system


def test_grid_rates_are_measured_per_cell(fake_model):
    fake_model.reply_with(lambda prompt, **kw: "I don't know." if "only from the context" in prompt else "Lisbon, 45, 12 and Dana.")
    grid = hallucination.run_grid(n=2, progress=False)
    assert len(grid) == 18 and len(fake_model.calls) == 18
    m = hallucination.rate_matrix(grid)
    assert m.shape == (3, 3)
    assert (m["context + only-from-context"] == 0).all()
    assert m.loc["unanswerable", "no context"] == 1.0 and m.loc["answerable", "with context"] == 0.0
    r = hallucination.rates(grid)
    assert (r["samples"] == 2).all()
    assert ((r["grounded"] + r["refused"] + r["hallucinated"]).round(9) == 1).all()



def test_lesson_and_exercise_count_the_hallucination_rate_the_same_way(fake_model):
    """Failed calls are left out of the rate per mode; the lesson shows rates_by_mode, as the exercise does."""
    calls = []

    def reply(prompt, **kw):
        calls.append(prompt)
        if len(calls) % 3 == 0:
            raise RuntimeError("provider timeout")
        return "Lisbon, 45, 12 and Dana."

    fake_model.reply_with(reply)
    with pytest.warns(Warning):
        grid = hallucination.run_grid(n=2, progress=False)
    ok = grid[grid["error"].isna()]
    assert 0 < len(ok) < len(grid)
    by_mode = hallucination.rates_by_mode(grid).set_index("mode")
    assert by_mode["samples"].sum() == len(ok)
    for mode, rows in ok.groupby("mode"):
        assert by_mode.loc[mode, "hallucinated"] == pytest.approx((rows["verdict"] == "hallucinated").mean())
    lesson = json.loads((ROOT / "notebooks" / "week02_strengths_limits_cost.ipynb").read_text(encoding="utf-8"))
    exercise = json.loads((ROOT / "solutions" / "week02_exercises.ipynb").read_text(encoding="utf-8"))
    for nb in (lesson, exercise):
        code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        assert any("hallucination.rates_by_mode(grid)" in c for c in code)
        assert not any("groupby(" in c and "hallucinated" in c for c in code)  # no second way of counting

def test_ask_question_on_the_real_local_model_applies_the_rule_to_its_answer():
    r = hallucination.ask_question("future-1", "no context", max_tokens=12)
    assert r["verdict"] == hallucination.verdict(r["answer"], hallucination.question("future-1")["answers"])
    assert r["kind"] == "unanswerable" and "smollm2-135m-instruct" in r["receipt"]
    assert r == hallucination.ask_question("future-1", "no context", max_tokens=12) | {"receipt": r["receipt"]}  # seeded


def test_verdicts_use_the_one_refusal_detector():
    assert hallucination.verdict("I'm not sure.", []) == "refused"
    assert hallucination.verdict("Prices may rise in the future.", []) == "hallucinated"
    assert hallucination.verdict("We were unable to ship the Q9.", []) == "hallucinated"


# ---------- context ----------

def test_token_report_and_windows_table():
    r = context.token_report("Hello there, product manager.")
    assert r["tokens"] > 0 and 0 < r["share_of_window"] < 1
    w = context.model_windows()
    assert w["window_tokens"].is_monotonic_increasing and (w["window_tokens"] >= 2048).all()
    assert {m.model_id for m in catalog.models()} == set(w["model_id"])  # served rows only: no shut-down model shown as current
    assert 0.4 < context.words_per_token() < 1.5


def test_make_document_hits_length_and_places_the_fact():
    doc = context.make_document(1500)
    n = context.token_count(doc)
    assert 1300 <= n <= 1600 and context.DOCUMENT_FACT in doc
    start = context.make_document(800, position=0.0)
    assert start.startswith(context.DOCUMENT_FACT)
    assert context.make_document(800, position=1.0).endswith(context.DOCUMENT_FACT)


@pytest.mark.parametrize("strategy", ["head", "tail", "middle-out", "retrieve-relevant"])
def test_truncation_strategies_respect_the_budget(strategy):
    doc = context.make_document(2500)
    r = context.fit_to_budget(doc, 400, strategy, question=context.DOCUMENT_QUESTION)
    assert r["kept_tokens"] <= 400 + 5 and r["original_tokens"] > 2000 and r["model_calls"] == 0
    assert (context.DOCUMENT_FACT in r["text"]) is (strategy == "retrieve-relevant")


def test_summarise_then_answer_calls_the_model_per_chunk(fake_model):
    fake_model.reply_with("A short summary.")
    r = context.fit_to_budget(context.make_document(1500), 300, "summarise-then-answer", chunk_tokens=350)
    assert r["model_calls"] == len(fake_model.calls) >= 4 and r["kept_tokens"] <= 300


def test_overflow_shows_the_real_context_window_error():
    doc = context.make_document(2600)
    r = context.answer_with_strategy(doc, context.DOCUMENT_QUESTION, "send everything")
    assert r["answer"] is None and r["error"].startswith("ContextWindowError") and "window" in r["error"]
    import ai_pm_lab as lab
    with pytest.raises(ContextWindowError):
        lab.generate(doc, max_tokens=4)


def test_compare_strategies_and_needle_with_a_scripted_model(fake_model):
    fake_model.reply_with(lambda prompt, **kw: "locker 38" if context.DOCUMENT_FACT in prompt else "no idea")
    table = context.compare_strategies(context.make_document(2600), context.DOCUMENT_QUESTION, "38", budget_tokens=400,
                                       strategies=["send everything", "head", "retrieve-relevant"], progress=False)
    assert list(table["correct"]) == [False, False, True] and table["error"].notna().tolist() == [True, False, False]

    def reply(prompt, **kw):
        import re
        code = re.search(r"storage room is (\d{4})", prompt).group(1)
        return code if prompt.index("storage room is") < len(prompt) / 2 else "1234"
    fake_model.reply_with(reply)
    runs = context.run_needle(positions=(0.0, 1.0), fills=(0.1, 0.3), n=2, progress=False)
    acc = context.needle_accuracy(runs)
    assert acc.shape == (2, 2) and list(acc[0.0]) == [1.0, 1.0] and list(acc[1.0]) == [0.0, 0.0]
    assert len(context.plot_needle(runs).axes) == 2


def test_needle_case_is_reproducible_and_sized():
    a, b = context.needle_case(0.5, 0.2, seed=3), context.needle_case(0.5, 0.2, seed=3)
    assert a == b and a["code"] in a["prompt"] and a["haystack_tokens"] == int(0.2 * 2048)


# ---------- consistency ----------

def test_diversity_measures():
    same = consistency.diversity(["a b c", "a b c", "A  b c"])
    assert same["distinct"] == 1 and same["mean_similarity"] == 1.0
    diff = consistency.diversity(["red fox", "blue whale", "red whale"])
    assert diff["distinct"] == 3 and 0 < diff["mean_similarity"] < 1
    assert consistency.similarity("x y", "z") == 0.0


def test_temperature_zero_repeats_on_the_real_model():
    runs = consistency.run_repeats(temperatures=(0.0,), n=2, max_tokens=8, progress=False)
    table = consistency.diversity_table(runs)
    assert table["distinct"].iloc[0] == 1 and table["runs"].iloc[0] == 2


# ---------- costing ----------

def test_scenario_cost_matches_hand_arithmetic():
    t = budget.Traffic(10_000, 600, 200)
    info = catalog.model_info(catalog.default_model("openai"))
    c = budget.scenario_cost(info.model_id, t)
    per_query = (600 * info.input_usd_per_1m + 200 * info.output_usd_per_1m) / 1e6
    assert math.isclose(c["per_query"], per_query) and math.isclose(c["per_month"], per_query * 10_000 * 30)


def test_levers_each_lower_the_bill_and_batching_uses_the_data_file():
    t = budget.Traffic(10_000, 5_000, 200, cached_prefix_tokens=4_500, response_cache_hit_rate=0.3, batch_share=1.0)
    lv = budget.levers(catalog.default_model("anthropic"), t).set_index("case")["per_month"]
    assert lv["all levers"] < min(lv["prompt caching only"], lv["response cache only"], lv["batching only"]) < lv["list price, no levers"]
    assert math.isclose(lv["batching only"], lv["list price, no levers"] * (1 - budget.assumption("batch_discount")))
    table = budget.cost_table(t)
    assert len(table) == len(catalog.models()) and table["per_month"].is_monotonic_increasing


# ---------- builds ----------

def test_bounded_chat_forgets_old_turns(fake_model):
    fake_model.reply_with("ok")
    chat = builds.BoundedChat(max_turns=1)
    for m in ["one", "two", "three"]:
        chat.send(m)
    assert [r["turns_remembered"] for r in chat.log] == [0, 1, 1] and chat.dropped_turns == 2
    assert [h["content"] for h in fake_model.calls[-1].history] == ["two", "ok"]
    chat.reset()
    assert chat.history == [] and chat.memory() == []


def test_summarize_reports_lengths(fake_model):
    fake_model.reply_with("Harborline delivers parcels and tests new ideas small.")
    r = builds.summarize(context.make_document(400, fact=None), max_words=20)
    assert r["within_word_limit"] and 0 < r["compression"] < 1 and r["model_calls"] == 1


def test_classifier_scores_with_sklearn(fake_model):
    fake_model.reply_with(lambda prompt, **kw: "Billing" if "charged" in prompt else "I am not sure")
    df = builds.classify_tickets("llm", limit=10, progress=False)
    assert set(df["predicted"]) <= set(builds.labels()) | {"other"}
    assert (df["label"].value_counts() == 2).all()  # a balanced sample
    scores = classification.classification_scores(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    s = scores.set_index("label")
    assert math.isclose(s.loc["a", "precision"], 1.0) and math.isclose(s.loc["a", "recall"], 0.5)
    assert math.isclose(s.loc["b", "precision"], 2 / 3) and s.loc["macro average", "support"] == 4
    kw = builds.classify_tickets("keywords", progress=False)
    assert len(kw) >= 100 and classification.confusion(kw["label"], kw["predicted"]).to_numpy().sum() == len(kw)
    assert builds.keyword_classify("zzz qqq") == "other"


# ---------- bad input: a clear TypeError / ValueError naming the fix ----------

@pytest.mark.parametrize("call,exc,words", [
    (lambda: capabilities.load_tasks("poetry"), ValueError, "choose one of"),
    (lambda: capabilities.run_probe(per_capability=0), ValueError, "between"),
    (lambda: scorers.score_contains(42, ["x"]), TypeError, "string"),
    (lambda: capabilities.accuracy_table([1, 2]), TypeError, "run_probe"),
    (lambda: hallucination.question("nope"), ValueError, "choose one of"),
    (lambda: hallucination.ask_question("future-1", "shouting"), ValueError, "choose one of"),
    (lambda: hallucination.run_grid(n=-1), ValueError, "between"),
    (lambda: hallucination.verdict("yes", "45"), TypeError, "list"),
    (lambda: context.token_report(""), ValueError, "empty"),
    (lambda: context.token_report(None), TypeError, "string"),
    (lambda: context.fit_to_budget("Some text.", 100, "shred"), ValueError, "choose one of"),
    (lambda: context.fit_to_budget("Some text.", -5, "head"), ValueError, "between"),
    (lambda: context.fit_to_budget(context.make_document(800), 100, "retrieve-relevant"), ValueError, "question"),
    (lambda: context.needle_case(1.5, 0.2), ValueError, "between"),
    (lambda: context.run_needle(positions=()), ValueError, "at least one"),
    (lambda: consistency.diversity(["only one"]), ValueError, "at least 2"),
    (lambda: consistency.diversity("abc"), TypeError, "list"),
    (lambda: consistency.run_repeats("", n=2), ValueError, "empty"),
    (lambda: consistency.run_repeats(temperatures=(5,)), ValueError, "between"),
    (lambda: budget.Traffic(-10, 100, 100), ValueError, "between"),
    (lambda: budget.Traffic(1e12, 100, 100), ValueError, "between"),
    (lambda: budget.Traffic("lots", 100, 100), TypeError, "number"),
    (lambda: budget.Traffic(10, 100, 100, cached_prefix_tokens=500), ValueError, "between"),
    (lambda: budget.Traffic(10, 100, 100, response_cache_hit_rate=1.5), ValueError, "between"),
    (lambda: budget.scenario_cost("gpt-9000", budget.Traffic(10, 100, 100)), ValueError, "Known ids"),
    (lambda: budget.scenario_cost("gpt-6-luna", {"queries": 10}), TypeError, "Traffic"),
    (lambda: budget.assumption("tax"), ValueError, "choose one of"),
    (lambda: budget.tokens_of(""), ValueError, "empty"),
    (lambda: builds.BoundedChat(max_turns=-1), ValueError, "between"),
    (lambda: builds.BoundedChat().send("  "), ValueError, "empty"),
    (lambda: builds.summarize(123), TypeError, "string"),
    (lambda: builds.classify_tickets("magic"), ValueError, "choose"),
    (lambda: builds.classify_tickets("keywords", limit=0), ValueError, "between"),
    (lambda: builds.score_classify(""), ValueError, "empty"),
    (lambda: classification.classification_scores(["a"], ["a", "b"]), ValueError, "one prediction"),
    (lambda: builds.keyword_classify(b"bytes"), TypeError, "decode"),
    (lambda: classification.confusion([], []), ValueError, "one prediction"),
    (lambda: budget.levers("gpt-6-luna", 5), TypeError, "Traffic"),
    (lambda: capabilities.plot_accuracy("x"), TypeError, "accuracy_table"),
    (lambda: context.plot_windows(None), TypeError, "model_windows"),
    (lambda: capabilities.run_probe(only=["poetry"]), ValueError, "choose one of"),
])
def test_bad_input_gets_a_clear_error(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_constrained_classifier_picks_the_highest_calibrated_probability_on_the_real_model():
    prior = next_token_distribution(builds.SCORE_TEMPLATE.format("N/A"))

    def expected(text):
        dist = next_token_distribution(builds.SCORE_TEMPLATE.format(text))
        ratio = {lab: dist.probability_of(" " + lab) / prior.probability_of(" " + lab) for lab in builds.labels()}
        return max(ratio, key=ratio.get)

    assert builds.score_classify("My card was charged twice.") == expected("My card was charged twice.")
    df = builds.classify_tickets("llm-scores", limit=5, progress=False)
    assert len(df) == 5 and list(df["predicted"]) == [expected(t) for t in df["text"]]


def test_constrained_classifier_refuses_hosted_backends():
    from ai_pm_lab import ConfigurationError

    with ScriptedModel("billing", name="openai"):
        with pytest.raises(ConfigurationError, match="method='llm'"):
            builds.score_classify("Where is my parcel?")
        with pytest.raises(ConfigurationError, match="method='llm'"):
            builds.classify_tickets("llm-scores", limit=2)


def test_the_classifier_examples_are_not_scored_tickets_and_cover_every_team():
    scored = set(builds.tickets()["text"])
    assert {lab for _, lab in builds.SCORE_EXAMPLES} == set(builds.labels())
    assert not scored & {text for text, _ in builds.SCORE_EXAMPLES}, "an example the model sees must not be a ticket it is scored on"
    assert builds.SCORE_TEMPLATE.index("Support ticket: {}") > 0, "the examples come first, so every ticket re-uses them"


def test_chance_range_and_model_interval_tell_guessing_from_routing():
    y = ["a", "b", "c", "d", "e"] * 24
    lo, hi = classification.chance_macro_f1(y)
    assert 0.1 < lo < 0.2 < hi < 0.3, (lo, hi)  # five equal labels: guessing scores about 0.2
    perfect = classification.macro_f1_interval(y, y)
    assert perfect == (1.0, 1.0)
    shifted = y[1:] + y[:1]  # every item wrong
    assert classification.macro_f1_interval(y, shifted)[1] == 0.0
    with pytest.raises(ValueError, match="empty"):
        classification.chance_macro_f1([])


def test_guide_order_lists_each_ranked_pair_and_whether_the_measurement_kept_it():
    table = capabilities.guide_table().assign(accuracy=[1.0, 0.2, 0.1, 0.5, 0.6, 0.0, 0.5])
    pairs = capabilities.guide_order(table)
    ranks = table["confidence_rank"].tolist()
    assert len(pairs) == sum(a > b for a in ranks for b in ranks)
    broke = pairs[~pairs["order held"]]
    assert ((broke["accuracy (higher)"] <= broke["accuracy (lower)"])).all() and len(broke) == 8
    with pytest.raises(TypeError, match="accuracy_table"):
        capabilities.guide_order("x")


def test_an_optional_going_further_section_is_left_out_of_the_lesson_time():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import time_lessons

    def md(text):
        return {"cell_type": "markdown", "metadata": {}, "source": text}

    def code(text):
        return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None}

    core = [md("# Lesson\n\n" + "word " * 150), code("x = 1")]
    optional = [md("## Going further (optional)\n\n" + "word " * 300), code("y = 2"), md("### A deep-dive"), code("z = 3")]
    after = [md("## After the lesson\n\nAnswer again."), code("w = 4")]
    nb = {"cells": core + optional + after, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    kept = time_lessons.required_part(nb)["cells"]
    assert kept == core + after
    t = time_lessons.notebook_time(nb, run_s=0, makers=set())
    assert t["code_cells"] == 2 and t["words"] < 170
