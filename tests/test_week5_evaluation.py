"""RAG evaluation harness, LLM judge and threshold widget: real state from scripted model replies; bad input errors."""
import warnings

import pandas as pd
import pytest

from ai_pm_lab.evaluation import judge as J
from ai_pm_lab.evaluation import rag_eval as E
from ai_pm_lab.rag import RAGPipeline, load_eval
from ai_pm_lab.testing.fake_model import ScriptedModel
from ai_pm_lab.widgets.threshold import ThresholdWidget, threshold_view


def test_failure_categories_cover_every_case():
    base = {"answerable": True, "refused": False, "made_up": False, "correct": False, "retrieved_gold": True}
    assert E.failure_category({**base, "correct": True}) == "correct"
    assert E.failure_category({**base, "retrieved_gold": False}) == "retrieval miss"
    assert E.failure_category({**base, "refused": True}) == "wrong refusal"
    assert E.failure_category({**base, "made_up": True}) == "made-up detail"
    assert E.failure_category(base) == "wrong answer from the right context"
    assert E.failure_category({**base, "answerable": False, "refused": True}) == "correct"
    assert E.failure_category({**base, "answerable": False}) == "made-up detail"


def test_harness_scores_scripted_answers():
    rows = load_eval()
    q001 = next(r for r in rows if r["id"] == "q001")  # gold: 90 days (kb-002)
    q013 = next(r for r in rows if r["id"] == "q013")  # gold: $24
    q069 = next(r for r in rows if r["id"] == "q069")  # unanswerable (the CEO)
    rag = RAGPipeline(progress=False)

    def reply(prompt):
        if "enterprise customers have to request" in prompt:
            return "Enterprise customers have 90 days [kb-002]."
        if "Team plan cost" in prompt:
            return "It costs $31 per user per month."  # a number that is not in the context
        return "The CEO is Jane Smith."

    with ScriptedModel(reply):
        df = E.run_rag_eval(rag, [q001, q013, q069], threshold=-1.0, progress=False)  # threshold -1: answer everything
    by = df.set_index("id")
    assert by.loc["q001", "category"] == "correct" and by.loc["q001", "hit@5"] == 1.0 and by.loc["q001", "rr"] > 0
    assert by.loc["q001", "made_up_numbers"] == ""  # the citation [kb-002] is not read as a number
    assert by.loc["q013", "made_up_numbers"] == "31" and by.loc["q013", "category"] == "made-up detail"
    assert by.loc["q069", "category"] == "made-up detail" and pd.isna(by.loc["q069", "hit@5"])
    summary = E.summarize_rag_eval(df).set_index("metric")
    assert summary.loc["answer correctness", "value"] == pytest.approx(0.5)
    assert summary.loc["hallucination rate", "value"] == pytest.approx(2 / 3)
    assert summary.loc["refusal on unanswerable", "value"] == 0.0 and summary.loc["refusal on unanswerable", "n"] == 1
    counts = E.category_counts(df)
    assert counts["correct"] == 1 and counts["made-up detail"] == 2 and counts["retrieval miss"] == 0
    assert list(E.drill_down(df)["id"]) == ["q013", "q069"]
    with pytest.raises(ValueError, match="rows is empty"):
        E.run_rag_eval(rag, [])
    with pytest.raises(ValueError, match=r"rows\[0\] must be a dict"):
        E.run_rag_eval(rag, [{"question": "x"}])


def test_judge_reads_verdicts_and_labels_are_balanced():
    labels = J.load_judge_labels()
    assert len(labels) >= 40 and 0.3 < sum(r["human_pass"] for r in labels) / len(labels) < 0.7
    assert all(r["question"] and r["context"] and r["note"] for r in labels)
    assert J.parse_verdict("PASS - it matches") is True and J.parse_verdict("fail.") is False
    assert J.parse_verdict("maybe") is None
    prompt = J.judge_prompt("Q?", "A.", "C.")
    assert "PASS or FAIL" in prompt and J.RUBRIC.splitlines()[0] in prompt
    with pytest.raises(TypeError, match="question must be a string"):
        J.judge_prompt(None, "A", "C")


def test_a_judge_that_passes_everything_is_measured_as_useless():
    labels = J.load_judge_labels()
    judged = pd.DataFrame(labels).assign(judge_pass=True)
    trust = J.validate_judge(judged)
    assert trust["tpr"].rate == 1.0 and trust["tnr"].rate == 0.0 and trust["kappa"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="no better than a coin"):
        J.corrected_rate([True, True], judged)
    with pytest.raises(ValueError, match="no 'judge_pass' column"):
        J.validate_judge(pd.DataFrame(labels))


def test_threshold_widget_driven_headlessly():
    y = [1, 1, 0, 0, 0]
    s = [0.9, 0.4, 0.6, 0.2, 0.1]
    w = ThresholdWidget(y, s, threshold=0.5, cost_fp=5, cost_fn=50, positive="refuse", negative="answer")
    assert (w.state["tp"], w.state["fp"], w.state["fn"], w.state["tn"]) == (1, 1, 1, 2)
    assert w.state["cost"] == 55 and w.state["matrix"].loc["really refuse", "predicted refuse"] == 1
    w.threshold.value = 0.3
    assert (w.state["tp"], w.state["fp"]) == (2, 1) and w.state["cost"] == 5 and w.state["recall"] == 1.0
    w.cost_fp.value = 20
    assert w.state["cost"] == 20 and "$20.00" in w.out.value
    w.threshold.value = 0.95
    assert w.state["tp"] == 0 and "nothing predicted positive" in w.state["note"]
    assert threshold_view(y, s, 0.3)["errors"]["count"].tolist() == [1, 0]
    with pytest.raises(ValueError, match="not a probability"):
        ThresholdWidget(y, [1.2, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="5 values and scores has 4"):
        ThresholdWidget(y, s[:4])


def test_harness_announces_failures_unless_the_caller_records_them():
    from ai_pm_lab.evaluation.harness import HarnessWarning, run_harness

    def call(item):
        if not item["q"].strip():
            raise ValueError("question is empty")
        return {"answer": item["q"].upper()}

    items = [{"q": "hi"}, {"q": " "}]
    with pytest.warns(HarnessWarning, match="1 of 2 items failed"):
        out = run_harness(items, call, progress=False)
    assert out["error"].isna().tolist() == [True, False] and out["error"].iloc[1] == "ValueError: question is empty"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = run_harness(items, call, progress=False, warn=False)
    assert quiet["error"].iloc[1] == out["error"].iloc[1] and quiet["error"].isna().tolist() == [True, False]
