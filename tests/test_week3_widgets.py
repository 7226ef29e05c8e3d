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




def test_similarity_by_topic_reads_blocks_from_a_matrix():
    import numpy as np

    from ai_pm_lab.rag.explore import similarity_by_topic
    sims = np.array([[1.0, 0.6, 0.1, 0.2],
                     [0.6, 1.0, 0.3, 0.0],
                     [0.1, 0.3, 1.0, 0.5],
                     [0.2, 0.0, 0.5, 1.0]])
    table = similarity_by_topic(sims, ["a", "a", "b", "b"]).set_index("topic")
    assert table.loc["a", "within: average"] == pytest.approx(0.6)
    assert table.loc["a", "across: average"] == pytest.approx(0.15) and table.loc["a", "across: highest"] == 0.3
    assert table.loc["b", "within: lowest"] == 0.5
    with pytest.raises(ValueError, match="square"):
        similarity_by_topic(sims, ["a", "b"])
    with pytest.raises(ValueError, match="at least two"):
        similarity_by_topic(sims, ["a", "a", "a", "b"])


def test_closeness_to_topics_one_column_per_topic():
    from ai_pm_lab.rag.explore import closeness_to_topics
    table = closeness_to_topics(["Can I get a refund?"], ["refund please", "money back", "swap a shift"],
                                ["refunds", "refunds", "shifts"])
    assert list(table.columns) == ["question", "with refunds", "with shifts"]
    assert table.loc[0, "with refunds"] > table.loc[0, "with shifts"]


def test_map_facts_counts_neighbours_from_other_sources_only():
    import numpy as np

    from ai_pm_lab.rag.explore import map_facts
    # two areas; each area's two sources point the same way, the areas are orthogonal
    v = np.array([[1, 0, 0], [1, 0.05, 0], [0.99, 0, 0.1], [0, 1, 0], [0.05, 1, 0], [0, 0.99, 0.1]], dtype=float)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    facts = map_facts(v, ["x", "x", "x", "y", "y", "y"], sources=["d1", "d1", "d2", "d3", "d3", "d4"])
    assert facts["nearest neighbour in the same area"] == 1.0 and facts["same area by chance"] == pytest.approx(0.5)
    assert 0 < facts["spread kept by the map"] <= 1
    # with the sources hiding every same-area neighbour, the nearest chunk must come from the other area
    mixed = map_facts(v, ["x", "x", "x", "y", "y", "y"], sources=["d1", "d1", "d1", "d2", "d2", "d2"])
    assert mixed["nearest neighbour in the same area"] == 0.0
    with pytest.raises(ValueError, match="another source"):
        map_facts(v, ["x"] * 6, sources=["d"] * 6)


def test_embedding_map_labels_one_point_per_area(rag):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ai_pm_lab.rag.explore import embedding_map, kb_area
    fig, ax = plt.subplots()
    areas = [kb_area(c.doc_id) for c in rag.chunks]
    xy = embedding_map([c.text for c in rag.chunks], areas, ax=ax, names=[c.doc_id for c in rag.chunks])
    assert xy.shape == (len(rag.chunks), 2)
    assert len(ax.texts) == len(set(areas))  # a few labels, not one per chunk
    plt.close(fig)


def test_cosine_pieces_widget_gives_the_numbers_the_formula_needs():
    import numpy as np

    from ai_pm_lab.widgets.search import CosinePieces
    a, b = np.array([3.0, 4.0, 0.0]), np.array([1.0, 0.0, 1.0])
    w = CosinePieces(a, b)
    s = w.state
    assert s["error"] is None and s["dot product"] == 3.0 and s["length of a"] == 5.0
    assert s["length of b"] == pytest.approx(np.sqrt(2))
    assert s["dot product"] / (s["length of a"] * s["length of b"]) == pytest.approx(a @ b / (5 * np.sqrt(2)))
    assert len(s["products"]) == 3 and list(s["products"]["a × b"]) == [3.0, 0.0, 0.0]
    w.show.value = 2
    assert len(w.state["products"]) == 2
    broken = CosinePieces(a, b[:2])  # vectors of different lengths: shown, not raised
    assert broken.state["error"] and "same length" in broken.state["error"]


def test_row_ranker_widget_orders_rows_best_first(rag):
    import numpy as np

    from ai_pm_lab.widgets.search import RowRanker
    q = rag.vectors[7]
    w = RowRanker(q, rag.vectors, rag.chunks)
    assert w.state["error"] is None and list(w.state["table"]["row"][:3]) == [0, 1, 2]
    w.order.value = "similarity"
    best = [int(i) for i in np.argsort(-(rag.vectors @ q))[:3]]
    assert list(w.state["table"]["row"][:3]) == best and best[0] == 7
    assert len(w.state["table"]) == len(rag.chunks)
