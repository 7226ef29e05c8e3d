"""Read the course's bundled data files (ai_pm_lab/data/TOPIC/NAME), cached."""
from __future__ import annotations

import csv
import json
import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path


def data_path(name: str):
    """The bundled file ``name`` (e.g. "limits/capabilities.csv") as an importlib resource."""
    return resources.files("ai_pm_lab").joinpath(f"data/{name}")


def data_text(name: str) -> str:
    """The text of a bundled data file, e.g. data_text("limits/haystack_filler.txt")."""
    return data_path(name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def data_phrases(name: str) -> tuple[str, ...]:
    """The distinct lower-cased lines of a bundled phrase list, skipping blank lines and # comments, in file order."""
    lines = (ln.strip().lower() for ln in data_text(name).splitlines())
    return tuple(dict.fromkeys(ln for ln in lines if ln and not ln.startswith("#")))


@lru_cache(maxsize=None)
def data_csv(name: str) -> tuple[dict, ...]:
    """Rows of a bundled CSV file as dicts."""
    return tuple(csv.DictReader(data_text(name).splitlines()))


@lru_cache(maxsize=None)
def data_jsonl(name: str) -> tuple[dict, ...]:
    """Records of a bundled JSON-lines file."""
    return tuple(json.loads(line) for line in data_text(name).splitlines() if line.strip())


def write_text_atomic(path, text: str) -> Path:
    """Write ``text`` to ``path`` so that a reader (another kernel) sees the old file or the new one, never half of it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
