"""Week 3: the ANN widget driven headlessly and the explore helpers (the exercise checks: test_checks_week03.py)."""
import pytest

from ai_pm_lab.rag import RAGPipeline, load_eval, load_kb
from ai_pm_lab.rag.explore import ANNBench, chunking_sweep, keyword_vs_semantic, pca_2d, search_method_hits
from ai_pm_lab.widgets.search import ANNExplorer


@pytest.fixture(scope="module")
def bench():
    return ANNBench.synthetic(n=3000, n_queries=50)


@pytest.fixture(scope="module")
def rag():
    return RAGPipeline()


def test_ann_widget_headless(bench):
    w = ANNExplorer(bench)
    assert w.state["index"] == "HNSW" and w.state["error"] is None
    low = dict(w.state)
    w.param.value = 256
    assert w.state["param"] == 256 and w.state["recall@k"] >= low["recall@k"]
    w.kind.value = "IVF"
    assert w.state["index"] == "IVF" and w.param.description == "nprobe" and 0 <= w.state["recall@k"] <= 1
    assert w.state["ms/query"] > 0 and len(w.history) == 3


def test_ann_widget_shows_errors_instead_of_crashing(bench):
    w = ANNExplorer(bench)
    w.kind.value = "IVF"
    bench_indexes = dict(bench.indexes)
    bench.indexes["ivf"] = object()  # a broken index: the widget must report, not raise
    try:
        w.param.value = 2
        assert w.state["error"]
    finally:
        bench.indexes.clear()
        bench.indexes.update(bench_indexes)


def test_bench_measure_validates(bench):
    with pytest.raises(ValueError):
        bench.measure("annoy", 4)
    with pytest.raises(ValueError):
        bench.measure("hnsw", 0)


def test_keyword_vs_semantic_and_pca(rag):
    df = keyword_vs_semantic(rag.chunks, ["Can I reimburse a purchase?"], rag.vectors)
    assert df.iloc[0]["keyword top doc"] == "(no shared words)" and df.iloc[0]["semantic top doc"] in ("kb-001", "kb-002")
    assert pca_2d(rag.vectors).shape == (len(rag.chunks), 2)
    with pytest.raises(ValueError):
        pca_2d(rag.vectors[:1])


def test_chunking_sweep_shape():
    df = chunking_sweep(load_kb(), load_eval(), sizes=(40, 200), overlaps=(0,), progress=False)
    assert list(df["chunk size (words)"]) == [40, 200] and df["hit@3"].between(0, 1).all()
    assert df["answer in prompt"].between(0, 1).all() and df["prompt words"].iloc[0] < df["prompt words"].iloc[1]


def test_search_method_hits_compare_keyword_semantic_and_both(rag):
    sets = {"codes": [("VPAT", ["kb-016"]), ("Retry-After", ["kb-013"])],
            "questions": [("I changed my mind, can I get my payment back?", ["kb-001", "kb-002"])]}
    table = search_method_hits(rag.chunks, sets, rag.vectors, k=1)
    assert list(table["feature"]) == ["codes", "questions"] and list(table["queries"]) == [2, 1]
    assert table.loc[0, "keyword hit@1"] == 1.0  # exact codes: shared words find them
    detail = search_method_hits(rag.chunks, sets, rag.vectors, k=1, detail=True)
    assert len(detail) == 3 and detail[[c for c in detail.columns if "hit@1" in c]].isin([0.0, 1.0]).all().all()
    with pytest.raises(TypeError, match="query_sets"):
        search_method_hits(rag.chunks, [("VPAT", ["kb-016"])], rag.vectors)


