"""The assistant's event log: one JSON line per answered, refused or escalated question (read by dashboards and
the improvement loop)."""
from __future__ import annotations

import json
import math
import threading
from datetime import datetime, timezone
from pathlib import Path

from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.settings import output_dir
from ai_pm_lab.tables import returns_course_table

DEFAULT_LOG_NAME = "assistant_events.jsonl"
OUTCOMES = ("answered", "refused", "escalated")
EVENT_FIELDS = (
    "time", "question", "outcome", "best_score", "gate_probability", "doc_ids", "latency_s",
    "prompt_tokens", "completion_tokens", "cost_usd", "model", "template",
)
_LOCK = threading.Lock()


def default_log_path() -> Path:
    """Where the assistant's events go unless told otherwise: output_dir("logs") / assistant_events.jsonl."""

    return output_dir("logs") / DEFAULT_LOG_NAME


def now_iso() -> str:
    """The current time as ISO 8601 in UTC (e.g. 2026-11-26T11:30:00.123456+00:00)."""
    return datetime.now(timezone.utc).isoformat()


def _plain(value):
    """A JSON-friendly copy of a field value (numpy numbers and arrays, tuples, paths; NaN becomes None)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return _plain(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if isinstance(value, Path):
        return str(value)
    raise InputTypeError(f"log field value {value!r} ({type(value).__name__}) cannot be stored: use text, numbers, lists or None.")


def _read_events(path: Path) -> list[dict]:
    events = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"line {n} of the event log {path} is not valid JSON ({exc.msg}); "
                                 "fix or delete that line, or start a fresh log with EventLog(path).clear().") from None
            if not isinstance(event, dict):
                raise InputError(f"line {n} of the event log {path} is not an event (a JSON object).")
            events.append(event)
    return events


@returns_course_table
def read_log(path) -> "pd.DataFrame":  # noqa: F821
    """The events in a log file as a DataFrame, one row per event, `time` as UTC timestamps, in file order."""
    import pandas as pd

    if isinstance(path, EventLog):
        path = path.path
    if not isinstance(path, (str, Path)):
        raise InputTypeError(f"path must be a file path (str or Path) or an EventLog, not {type(path).__name__}.")
    path = Path(path)
    how = ("attach a log to a pipeline (pipeline.log = EventLog(path)) and answer some questions "
           "with pipeline.answer(...), or point read_log at the file that holds them")
    if not path.is_file():
        raise InputError(f"The event log {path} does not exist yet: {how}.")
    events = _read_events(path)
    if not events:
        raise InputError(f"The event log {path} is empty: {how}.")
    df = pd.DataFrame(events)
    for col in EVENT_FIELDS:
        if col not in df.columns:
            df[col] = None
    df["time"] = pd.to_datetime(df["time"], utc=True, format="ISO8601")
    extra = [c for c in df.columns if c not in EVENT_FIELDS]
    return df[list(EVENT_FIELDS) + extra]


class EventLog:
    """An append-only JSON-lines file of assistant events: .record(**fields), .read(), .clear(), .path."""

    def __init__(self, path=None):
        if path is not None and not isinstance(path, (str, Path)):
            raise InputTypeError(f"path must be a file path (str or Path) or None for the default, not {type(path).__name__}.")
        if path is not None:
            require_text(str(path), "path")  # blank, or a broken character no file system can store
        self.path = Path(path).expanduser() if path is not None else default_log_path()
        if self.path.exists() and self.path.is_dir():
            raise InputError(f"{self.path} is a folder: give the log a file name, e.g. {self.path / DEFAULT_LOG_NAME}.")

    def __repr__(self) -> str:
        return f"EventLog({str(self.path)!r}, {len(self)} events)"

    def __len__(self) -> int:
        if not self.path.is_file():
            return 0
        with open(self.path, encoding="utf-8") as f:
            return sum(1 for line in f if line.strip())

    def record(self, **fields) -> dict:
        """Append one event (a `time` in ISO 8601 UTC is added if missing) and return it as stored."""
        if not fields:
            raise InputError("record() needs at least one field, e.g. record(question='...', outcome='answered').")
        outcome = fields.get("outcome")
        if outcome is not None and outcome not in OUTCOMES:
            raise InputError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}.")
        event = {"time": fields.pop("time", None) or now_iso()}
        event.update({str(k): _plain(v) for k, v in fields.items()})
        line = json.dumps(event, ensure_ascii=False)
        with _LOCK:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        return event

    @returns_course_table
    def read(self):
        """All events so far as a DataFrame (see read_log); an empty or missing log raises ValueError."""
        return read_log(self.path)

    def clear(self) -> None:
        """Delete every event (the file is emptied, not removed)."""
        with _LOCK:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("", encoding="utf-8")


def answer_event(answer, *, latency_s: float) -> dict:
    """The log fields for one RAGAnswer: outcome, best score, gate probability, documents, tokens, cost, model."""
    gen = getattr(answer, "generation", None)
    retrieval = answer.retrieval
    if not answer.abstained:
        outcome = "answered"
    else:
        outcome = "escalated" if answer.escalation else "refused"
    return {
        "question": answer.question,
        "outcome": outcome,
        "best_score": float(retrieval.best_score),
        "gate_probability": getattr(retrieval, "gate_probability", None),
        "doc_ids": list(retrieval.doc_ids),
        "latency_s": float(latency_s),
        "prompt_tokens": int(gen.prompt_tokens) if gen is not None and gen.prompt_tokens is not None else 0,
        "completion_tokens": int(gen.completion_tokens) if gen is not None and gen.completion_tokens is not None else 0,
        "cost_usd": 0.0 if gen is None else (None if gen.cost_usd is None else float(gen.cost_usd)),  # None: price unknown
        "model": getattr(gen, "model", None) if gen is not None else None,
        "template": answer.template,
        "answer": answer.text,
        "stopped_by": _stopped_by(answer, gen),
    }


def _stopped_by(answer, gen) -> str | None:
    """Who declined: the answerability gate, the similarity threshold, the model itself, or nobody (answered)."""
    if not answer.abstained:
        return None
    if gen is not None:
        return "model"
    return "gate" if getattr(answer.retrieval, "gate_probability", None) is not None else "threshold"
