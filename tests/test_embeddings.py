"""Embeddings without torch: quality, shape, caching, batching and bad input."""
import numpy as np
import pytest

from ai_pm_lab import embeddings as E


def test_vectors_are_unit_length_384_floats():
    v = E.embed(["hello world", "a second sentence"])
    assert v.shape == (2, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_quality_related_pairs_beat_unrelated():
    cat = E.similarity("A cat sits on the mat.", "A kitten is sitting on a rug.")
    unrelated = E.similarity("A cat sits on the mat.", "Quarterly revenue grew by 12 percent.")
    assert cat > 0.55 and unrelated < 0.2 and cat - unrelated > 0.4


def test_batching_and_order_do_not_change_vectors():
    texts = [f"sentence number {i} about billing" for i in range(7)] + ["short", "a much longer sentence " * 20]
    one_by_one = np.stack([E.embed([t], cache=False)[0] for t in texts])
    batched = E.embed(texts, batch_size=3, cache=False)
    assert np.allclose(one_by_one, batched, atol=1e-4)


def test_cache_answers_repeats(tmp_path):
    E.clear_cache()
    E.embed(["cache me once"])
    before = E.cache_info()["hits"]
    E.embed(["cache me once", "cache me once"])
    assert E.cache_info()["hits"] == before + 2


def test_disk_cache_round_trip(tmp_path):
    E.set_disk_cache(tmp_path)
    try:
        v = E.embed(["stored on disk"])
        assert len(list(tmp_path.rglob("*.npy"))) == 1  # in the folder of this model version
        E.clear_cache()
        again = E.embed(["stored on disk"])
        assert E.cache_info()["disk_hits"] == 1 and np.allclose(v, again)
    finally:
        E.set_disk_cache(None)


def test_long_text_is_truncated_not_rejected():
    assert E.count_word_pieces("word " * 1000) == 1000
    assert E.embed(["word " * 1000]).shape == (1, 384)


def test_model_files_come_from_wheels():
    assert E.model_path().endswith("model.onnx") and E.tokenizer_path().endswith("tokenizer.json")


@pytest.mark.parametrize("bad, exc", [("a string", TypeError), (b"bytes", TypeError), (None, TypeError), (42, TypeError),
                                      ([""], ValueError), (["ok", None], TypeError), (["  "], ValueError)])
def test_bad_input_gets_actionable_errors(bad, exc):
    with pytest.raises(exc):
        E.embed(bad)


def test_bad_batch_size():
    with pytest.raises(ValueError):
        E.embed(["x"], batch_size=0)
    with pytest.raises(TypeError):
        E.embed_one(None)
