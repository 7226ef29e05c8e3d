"""Week 7: FAISS vs Qdrant (embedded) parity and what the database adds; the model trade-off explorer (no model call)."""
import numpy as np
import pandas as pd
import pytest

from ai_pm_lab.llm import Generation
from ai_pm_lab.platforms import tradeoffs, vector_db
from ai_pm_lab.rag import RAGPipeline, load_eval
from ai_pm_lab.testing.fake_model import ScriptedModel


def _script(answers):
    """A scripted model (no real generation): the gold answer for the questions in ``answers``, else "I don't know."."""
    def reply(prompt):
        for question, text in answers.items():
            if question in prompt:
                return text
        return "I don't know."
    return ScriptedModel(reply, replaces="local")


@pytest.fixture(scope="module")
def rag():
    return RAGPipeline(progress=False)


def test_qdrant_returns_the_same_ids_and_hit_at_5_as_faiss(rag):
    rows = [r for r in load_eval() if r["doc_ids"]][:20]
    cmp = vector_db.compare_stores(rag, rows, k=5, progress=False)
    assert cmp.same_top_k == 1.0 and cmp.per_question["same ids"].all()
    assert cmp.per_question["max score difference"].max() < 1e-4
    assert cmp.table["hit@5"].nunique() == 1 and 0 <= cmp.table["hit@5"].iloc[0] <= 1
    for ids_f, ids_q in zip(cmp.per_question["FAISS top ids"], cmp.per_question["Qdrant top ids"]):
        assert ids_f == ids_q and len(ids_f) == 5
    assert (cmp.table["median query (ms)"] > 0).all() and cmp.table.loc["Qdrant, embedded mode (database)", "on disk (KB)"] > 0
    assert not cmp.table.isna().any().any(), "no bare NaN in the side-by-side table"


def test_compare_stores_needs_answerable_questions(rag):
    with pytest.raises(ValueError, match="answerable"):
        vector_db.compare_stores(rag, [{"question": "x", "doc_ids": []}], progress=False)


def test_filter_inside_the_search_keeps_k_results(rag):
    store, _ = vector_db.build_qdrant(rag)
    out = vector_db.filtered_search(rag, store, "What's the refund policy for enterprise customers?", {"date_from": "2025-01-01"})
    assert len(out["Qdrant filter in the search"]) == 5 and "kb-001" not in out["Qdrant filter in the search"]
    assert len(out["FAISS top-k then filter"]) <= 5 and "kb-001" not in out["FAISS top-k then filter"]
    dates = {c.doc_id: c.date for c in rag.chunks}
    assert all(dates[d] >= "2025-01-01" for d in out["Qdrant filter in the search"])
    with pytest.raises(ValueError, match="Unknown filter"):
        store.search(np.ones(rag.vectors.shape[1]), 3, {"year": 2025})
    store.close()


def test_persistence_across_a_reopen(rag, tmp_path):
    out = vector_db.persistence_check(rag, tmp_path / "q", "How long do enterprise customers have to request a refund?")
    assert out["same results"] and out["points after reopening"] == out["points before"] == len(rag.chunks)
    reopened = vector_db.QdrantStore(tmp_path / "q")
    assert reopened.count() == len(rag.chunks)
    reopened.close()


def test_update_without_rebuild(rag):
    store, _ = vector_db.build_qdrant(rag)
    retired = sum(c.doc_id == "kb-001" for c in rag.chunks)
    out = vector_db.update_check(rag, store, "Registered charities get a discount on every plan; apply on the billing page.",
                                 "kb-999", "Do charities get a discount?", retire="kb-001", date="2025-11-01")
    assert out["new document found"] and not out["retired document found"]
    assert out["points after"] == len(rag.chunks) + out["chunks added"] - retired
    store.close()


def test_matches_mirrors_the_qdrant_filter():
    p = {"doc_id": "kb-002", "date": "2025-02-01", "topic": "refund-policy"}
    assert vector_db.matches(p, {"date_from": "2025-01-01", "topic": "refund-policy"})
    assert not vector_db.matches(p, {"not_doc_id": "kb-002"}) and not vector_db.matches(p, {"date_from": "2025-06-01"})


def test_framework_and_lifecycle_tables():
    names = vector_db.framework_names()
    assert {"course_step", "langchain", "llamaindex"} <= set(names.columns) and names.notna().all().all()
    tools = vector_db.lifecycle_tools()
    assert {"Hugging Face", "Weights & Biases, MLflow", "Scale AI, Label Studio"} <= set(tools["example_tools"])


def test_sample_questions_are_spread_and_validated():
    rows = tradeoffs.sample_questions(3, 2)
    assert sum(bool(r["doc_ids"]) for r in rows) == 3 and sum(not r["doc_ids"] for r in rows) == 2
    with pytest.raises(ValueError):
        tradeoffs.sample_questions(0, 0)
    with pytest.raises(ValueError):
        tradeoffs.sample_questions(500, 0)


def test_compare_models_measures_local_and_projects_hosted_rows():
    rows = tradeoffs.sample_questions(2, 1)
    with _script({rows[0]["question"]: rows[0]["answer"]}):
        table = tradeoffs.compare_models(RAGPipeline(progress=False), rows, progress=False)
    local = table[table["status"] == tradeoffs.MEASURED]
    assert list(local["provider"]) == ["local"] and local["errors"].iloc[0] == 0
    assert 0 < local["quality"].iloc[0] < 1 and local["cost per 1,000 queries ($)"].iloc[0] == 0
    projected = table[table["status"] == tradeoffs.PROJECTED]
    from ai_pm_lab import catalog
    current_hosted = [m.model_id for m in catalog.models() if m.provider != "local" and tradeoffs.is_current(m)]
    assert sorted(projected.index) == sorted(current_hosted)
    assert projected["quality"].isna().all() and projected["median latency (s)"].isna().all()
    assert (projected["cost per 1,000 queries ($)"] > 0).all()
    readable = tradeoffs.readable(table)
    assert (readable.loc[projected.index, "quality"] == "not measured").all()


def test_shortlist_decisions():
    t = pd.DataFrame({"provider": ["local", "openai", "anthropic"],
                      "status": [tradeoffs.MEASURED, tradeoffs.PROJECTED, tradeoffs.PROJECTED],
                      "quality": [0.3, float("nan"), float("nan")], "median latency (s)": [1.0, float("nan"), float("nan")],
                      "cost per 1,000 queries ($)": [0.0, 0.05, 0.5]}, index=["m-local", "m-a", "m-b"])
    assert tradeoffs.shortlist(t, 1.0, 0.2)["choice"] == "m-local"
    assert tradeoffs.shortlist(t, 1.0, 0.5)["choice"] == "m-a"
    assert tradeoffs.shortlist(t, 1.0, 0.5)["decision"] == "measure next"
    assert tradeoffs.shortlist(t, 0.01, 0.5)["decision"] == "nothing fits"
    both = tradeoffs.shortlist(t, 0.1, 0.2)
    assert both["clear_floor"] == ["m-local"] and both["fit_budget"] == ["m-local", "m-a"]
    with pytest.raises(ValueError):
        tradeoffs.shortlist(t, -1, 0.5)
    with pytest.raises(ValueError):
        tradeoffs.shortlist(t, 1, 1.5)


def test_where_data_goes_local_server(monkeypatch):
    assert "Stays on this machine" in tradeoffs.where_data_goes("local")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    assert "locally" in tradeoffs.where_data_goes("openai")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.example.com/v1")
    assert "api.example.com" in tradeoffs.where_data_goes("openai")


def test_configured_providers_are_measured_not_projected(monkeypatch):
    from ai_pm_lab.testing.fake_provider import FakeProvider

    with FakeProvider() as server, _script({}):  # local calls scripted; hosted calls go through the SDKs to the fake
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-" + "key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-" + "key")
        monkeypatch.setenv("GEMINI_BASE_URL", server.openai_base_url)
        monkeypatch.setenv("GEMINI_API_KEY", "test-" + "key")
        assert tradeoffs.configured_providers() == ["openai", "anthropic", "gemini"]
        table = tradeoffs.compare_models(RAGPipeline(progress=False), tradeoffs.sample_questions(1, 1), progress=False)
    measured = table[table["status"] == tradeoffs.MEASURED]
    assert sorted(measured["provider"]) == ["anthropic", "gemini", "local", "openai"]
    assert "Google" in measured[measured["provider"] == "gemini"]["where the data goes"].iloc[0]
    assert (measured["errors"] == 0).all() and measured["quality"].between(0, 1).all()
    assert "locally" in measured[measured["provider"] == "openai"]["where the data goes"].iloc[0]
    projected = table[table["status"] == tradeoffs.PROJECTED]
    assert not set(projected.index) & set(measured.index), "a measured model is never also projected"


def test_a_cached_answer_counts_the_time_the_model_took_to_write_it():
    fresh = Generation(text="a", model="m", backend="local", prompt_tokens=3, completion_tokens=1, latency_s=2.5,
                       cost_usd=0.0, finish_reason="stop")
    cached = Generation(text="a", model="m", backend="local", prompt_tokens=3, completion_tokens=1, latency_s=2.5,
                        cost_usd=0.0, finish_reason="stop", cached=True)
    assert tradeoffs.end_to_end_latency(0.01, fresh) == 0.01
    assert tradeoffs.end_to_end_latency(0.01, cached) == pytest.approx(2.51)
    assert tradeoffs.end_to_end_latency(0.2, None) == 0.2  # the gate answered without the model
