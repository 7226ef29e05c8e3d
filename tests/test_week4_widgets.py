"""Week 4: the RAG playground driven headlessly (bad input never crashes it); the exercise checks: test_checks_week04.py."""
import pytest

from ai_pm_lab.rag import RAGPipeline
from ai_pm_lab.testing.fake_model import ScriptedModel
from ai_pm_lab.widgets.rag import RAGPlayground, playground_view


def reply(prompt):
    return "Enterprise customers have 90 days [kb-002]." if "Question:" in prompt else "Most companies offer 30 days."


@pytest.fixture(scope="module")
def rag():
    return RAGPipeline()


@pytest.fixture(autouse=True)
def model():
    with ScriptedModel(reply) as m:
        yield m


def test_playground_view_plain_function(rag):
    s = playground_view(rag, "How long do enterprise customers have to request a refund?", top_k=3, threshold=0.3)
    assert s["answer"].startswith("Enterprise") and s["sources"][0] == "kb-002" and s["citations"] == ["kb-002"]
    assert s["without_rag"] == "Most companies offer 30 days." and len(s["retrieved"]) == 3
    assert isinstance(s["prompt_tokens"], int) and s["prompt_tokens"] > 0 and s["estimated_cost_usd"] == 0.0


def test_playground_headless(rag):
    w = RAGPlayground(rag)
    w.question.value = "What's our refund policy for enterprise customers?"
    w.top_k.value = 4
    w.threshold.value = 0.3
    w.button.click()
    assert w.state["error"] is None and w.state["conflict_notes"] and "kb-001" not in w.state["sources"]
    assert "superseded" in w.state["retrieved"]["status"].tolist()
    assert "90 days" in w.retrieved.value or "kb-002" in w.retrieved.value
    w.template.value = "delimited"
    assert "<document" in w.ask()["prompt"]
    w.compare.value = False
    assert "one model call: with RAG only" in w.answers.value  # the checkbox shows what Ask will cost before it runs
    assert w.ask()["without_rag"] is None
    w.compare.value = True
    assert "two model calls" in w.answers.value


def test_playground_escalates_below_threshold(rag):
    w = RAGPlayground(rag)
    w.question.value = "How much carbon does the Tidewell platform emit per year?"
    w.threshold.value = 0.9
    s = w.ask()
    assert s["abstained"] and "Escalate" in s["escalation"] and s["receipt"].startswith("no model call")
    assert "Escalate" in w.answers.value


@pytest.mark.parametrize("field, value", [("question", ""), ("question", "   "), ("top_k", 10), ("threshold", 1.0), ("threshold", -1.0)])
def test_playground_never_crashes(rag, field, value):
    w = RAGPlayground(rag)
    getattr(w, field).value = value
    s = w.ask()
    if field == "question":
        assert "empty" in s["error"] and "⚠️" in w.retrieved.value
    else:  # a legal extreme: answered, or refused below the threshold, never an error
        assert s["error"] is None and s["question"] == w.question.value.strip()
        if field == "threshold":
            assert s["abstained"] is (s["best_score"] < value)
        if field == "top_k":
            assert len(s["retrieved"]) == value


def test_playground_reports_errors_from_deep_inside(rag, model):
    def broken(prompt):
        raise RuntimeError("model crashed")

    model.reply_with(broken)
    w = RAGPlayground(rag)
    w.threshold.value = -1.0
    assert w.ask()["error"] == "RuntimeError: model crashed" and "RuntimeError" in w.retrieved.value


def test_playground_slider_starts_at_the_pipeline_threshold():
    strict = RAGPipeline(threshold=0.55)
    assert RAGPlayground(strict).threshold.value == 0.55


def test_playground_rejects_top_k_beyond_corpus(rag):
    with pytest.raises(ValueError, match="top_k"):
        playground_view(rag, "q", top_k=len(rag.chunks) + 1)
