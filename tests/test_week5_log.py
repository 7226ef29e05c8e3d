"""The assistant's event log: records, reads back, clears, and RAGPipeline.answer() writes one event per answer."""
import json

import pandas as pd
import pytest

from ai_pm_lab.rag import RAGPipeline
from ai_pm_lab.rag.log import EVENT_FIELDS, EventLog, default_log_path, read_log
from ai_pm_lab.testing.fake_model import ScriptedModel


def _kb(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "refunds.md").write_text("---\nid: r1\ntitle: Refunds\ndate: 2025-01-01\n---\n"
                                   "Customers can request a refund within 30 days of their first payment.")
    (kb / "sla.md").write_text("---\nid: s1\ntitle: Uptime\ndate: 2025-02-01\n---\n"
                               "The service level agreement promises 99.9 percent monthly uptime.")
    return kb


def test_record_read_clear_roundtrip(tmp_path):
    log = EventLog(tmp_path / "events.jsonl")
    assert len(log) == 0
    stored = log.record(question="q?", outcome="refused", best_score=0.31, gate_probability=None, doc_ids=("a", "b"))
    assert stored["time"].endswith("+00:00") and stored["doc_ids"] == ["a", "b"]
    log.record(question="q2", outcome="answered", latency_s=0.5, extra_field=3)
    df = log.read()
    assert list(df.columns[: len(EVENT_FIELDS)]) == list(EVENT_FIELDS) and "extra_field" in df.columns
    assert df["question"].tolist() == ["q?", "q2"] and df["outcome"].tolist() == ["refused", "answered"]
    assert str(df["time"].dt.tz) == "UTC"
    assert df.loc[0, "best_score"] == pytest.approx(0.31) and pd.isna(df.loc[1, "best_score"])
    assert len(log) == 2 and read_log(log.path).shape[0] == 2 and read_log(log).shape[0] == 2
    log.clear()
    assert len(log) == 0 and log.path.exists()


def test_numpy_values_and_nan_are_stored_as_plain_json(tmp_path):
    np = pytest.importorskip("numpy")
    log = EventLog(tmp_path / "e.jsonl")
    log.record(question="x", best_score=np.float32(0.5), doc_ids=np.array(["a"]), cost_usd=float("nan"))
    raw = json.loads(log.path.read_text().strip())
    assert raw["best_score"] == 0.5 and raw["doc_ids"] == ["a"] and raw["cost_usd"] is None


def test_empty_or_missing_log_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist yet.*pipeline.log"):
        read_log(tmp_path / "nope.jsonl")
    log = EventLog(tmp_path / "e.jsonl")
    log.clear()
    with pytest.raises(ValueError, match="is empty.*answer some questions"):
        log.read()


def test_bad_input_is_a_clear_error(tmp_path):
    log = EventLog(tmp_path / "e.jsonl")
    with pytest.raises(ValueError, match="outcome must be one of answered, refused, escalated"):
        log.record(question="q", outcome="maybe")
    with pytest.raises(ValueError, match="at least one field"):
        log.record()
    with pytest.raises(TypeError, match="cannot be stored"):
        log.record(question=object())
    with pytest.raises(TypeError, match="file path"):
        EventLog(42)
    with pytest.raises(ValueError, match="is a folder"):
        EventLog(tmp_path)
    with pytest.raises(TypeError, match="file path"):
        read_log(3.5)
    log.path.write_text('{"question": "ok"}\nnot json\n')
    with pytest.raises(ValueError, match="line 2 of the event log"):
        log.read()


def test_default_path_is_under_the_output_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(tmp_path / "out"))
    assert default_log_path() == tmp_path / "out" / "logs" / "assistant_events.jsonl"
    assert EventLog().path == default_log_path()


def test_pipeline_logs_every_answer_with_its_outcome(tmp_path):
    log = EventLog(tmp_path / "events.jsonl")
    pipe = RAGPipeline(_kb(tmp_path), log=log, progress=False)
    with ScriptedModel("Refunds within 30 days [r1]."):
        a = pipe.answer("How long do I have to request a refund?", top_k=2, threshold=0.0)
        # a threshold above any cosine similarity: the pipeline declines before calling the model and escalates
        b = pipe.answer("How long do I have to request a refund?", top_k=2, threshold=1.0)
    with ScriptedModel("I don't know."):
        c = pipe.answer("Who is the CEO?", top_k=2, threshold=0.0)
        pipe.answer("Who is the CEO?", top_k=2, threshold=0.0, generate=False)  # a prompt preview is not an answer
    assert not a.abstained and b.abstained and b.generation is None and c.abstained
    df = log.read()
    assert df["outcome"].tolist() == ["answered", "escalated", "escalated"]
    assert df["stopped_by"].tolist()[1:] == ["threshold", "model"] and pd.isna(df["stopped_by"][0])
    first = df.iloc[0]
    assert first["best_score"] == pytest.approx(a.retrieval.best_score)
    assert first["doc_ids"] == a.retrieval.doc_ids and first["doc_ids"][0] == "r1"
    assert first["prompt_tokens"] == a.generation.prompt_tokens > 0
    assert first["completion_tokens"] == a.generation.completion_tokens > 0
    assert first["template"] == "grounded" and first["latency_s"] >= 0 and first["model"] == a.generation.model
    assert pd.isna(first["gate_probability"])  # an explicit threshold: the gate did not decide
    assert df.iloc[1]["prompt_tokens"] == 0 and df.iloc[1]["cost_usd"] == 0.0 and pd.isna(df.iloc[1]["model"])
    assert (df["question"] == ["How long do I have to request a refund?"] * 2 + ["Who is the CEO?"]).all()


def test_gate_decisions_are_logged_with_their_probability(tmp_path):
    log = EventLog(tmp_path / "events.jsonl")
    pipe = RAGPipeline(_kb(tmp_path), log=log, progress=False)
    assert pipe.gate is not None  # the shipped gate is the default abstention
    with ScriptedModel("99.9 percent [s1]."):
        ans = pipe.answer("Who is the chief executive officer of the company?", top_k=2)
    event = log.read().iloc[0]
    assert event["gate_probability"] == pytest.approx(ans.retrieval.gate_probability)
    assert 0 <= event["gate_probability"] <= 1
    if ans.abstained and ans.generation is None:
        assert event["outcome"] == "escalated" and event["stopped_by"] == "gate"


def test_no_log_attached_writes_nothing_and_a_path_can_be_attached(tmp_path):
    pipe = RAGPipeline(_kb(tmp_path), progress=False)
    with ScriptedModel("99.9 percent [s1]."):
        pipe.answer("What uptime is promised?", top_k=2, threshold=0.0)
        assert not (tmp_path / "outputs").exists()
        pipe.log = tmp_path / "later.jsonl"
        pipe.answer("What uptime is promised?", top_k=2, threshold=0.0)
    assert isinstance(pipe.log, EventLog) and len(pipe.log) == 1
