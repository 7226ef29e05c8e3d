"""The embedding cache on disk: on by default under the output folder, one folder per model version, read back by a
fresh kernel, never a half-written vector, off with the other caches."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from ai_pm_lab import embeddings as E


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "local")
    monkeypatch.delenv("AI_PM_LAB_EMBED_CACHE", raising=False)
    E.reset_disk_cache()
    E.clear_cache()
    yield
    E.reset_disk_cache()
    E.clear_cache()


READ_BACK = """
from ai_pm_lab import embeddings as E
import numpy as np, sys
v = E.embed(["kept for the next kernel", "another one"])
np.save(sys.argv[1], v)
print(E.cache_info()["disk_hits"], E.cache_info()["misses"])
"""


def test_vectors_are_kept_per_model_under_the_output_folder_and_read_back_by_a_fresh_kernel(tmp_path):
    folder = E.disk_dir()
    assert folder == tmp_path / "outputs" / "cache" / "embeddings" / E.model_tag()
    env = {k: v for k, v in os.environ.items() if k != "AI_PM_LAB_OUTPUT_DIR"}
    runs = [subprocess.run([sys.executable, "-c", READ_BACK, str(tmp_path / f"v{i}.npy")], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300) for i in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr[-2000:]
    assert [r.stdout.split() for r in runs] == [["0", "2"], ["2", "0"]]  # computed once, then read from disk
    assert np.array_equal(np.load(tmp_path / "v0.npy"), np.load(tmp_path / "v1.npy"))
    assert len(list(folder.glob("*.npy"))) == 2 and not list(folder.glob("*.tmp.npy"))


def test_another_model_version_never_reads_old_vectors(monkeypatch):
    v = E.embed(["a sentence"])
    first = E.disk_dir()
    E.clear_cache()
    monkeypatch.setattr(E, "PIPELINE", E.PIPELINE + "/changed")
    E.reset_disk_cache()
    assert E.disk_dir() != first
    again = E.embed(["a sentence"])
    assert E.cache_info()["disk_hits"] == 0 and np.allclose(v, again)


def test_a_damaged_vector_file_is_recomputed_and_replaced():
    v = E.embed(["mend me"])
    path = E.disk_dir() / f"{E.vector_key('mend me')}.npy"
    path.write_bytes(b"\x93NUMPY broken")
    E.clear_cache()
    again = E.embed(["mend me"])
    assert np.array_equal(v, again) and E.cache_info()["misses"] == 1
    assert np.array_equal(np.load(path), v[0])


def test_off_with_the_other_caches_and_with_set_disk_cache_none(monkeypatch):
    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "off")
    assert E.disk_dir() is None
    monkeypatch.setenv("AI_PM_LAB_RESPONSE_CACHE", "local")
    assert E.disk_dir() is not None
    E.set_disk_cache(None)
    assert E.disk_dir() is None
