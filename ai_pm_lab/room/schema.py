"""The one shape of a room result, checked the same way by the learner's client and by the room server.

A result is a small dict: ``id`` (made by the client, so a result delivered twice is stored once), ``kind``
("check" or "knowledge"), ``week`` and the fields of its kind. Fields outside the schema are dropped, never stored:
a ``name`` or ``user`` in a payload cannot choose whose result it is (identity comes from the session or hub token).
"""
from __future__ import annotations

import re

from ai_pm_lab.errors import InputError

MAX_BODY_BYTES = 64 * 1024      # one POST; larger ones get 413
MAX_READ_BYTES = 1024 * 1024    # the server reads no more than this (beyond, it closes the connection)
MAX_EVENTS_PER_POST = 100
KINDS = ("check", "knowledge")
STATUSES = ("passed", "not_yet")
PHASES = ("before", "after")
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

# kind -> {field: (type, required, max length for text)}
_FIELDS = {
    "check": {"exercise": (str, True, 120), "status": (str, True, 10), "part": (str, False, 80),
              "choice": (str, False, 200), "why": (str, False, 2000)},
    "knowledge": {"phase": (str, True, 10), "question": (str, True, 80), "chosen": (str, False, 200),
                  "correct": (bool, True, 0)},
}


def clean_event(raw) -> dict:
    """The result reduced to its schema's fields, or InputError naming the first problem."""
    if not isinstance(raw, dict):
        raise InputError("Each result must be a JSON object.")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise InputError(f"'kind' must be one of {', '.join(KINDS)}.")
    event_id = raw.get("id")
    if not isinstance(event_id, str) or not _ID.match(event_id):
        raise InputError("'id' must be 8 to 64 letters, digits, '-' or '_' (made by the client).")
    week = raw.get("week")
    if isinstance(week, bool) or not isinstance(week, int) or not 0 <= week <= 52:
        raise InputError("'week' must be a whole number from 0 to 52.")
    out = {"id": event_id, "kind": kind, "week": week}
    for field, (typ, required, limit) in _FIELDS[kind].items():
        value = raw.get(field)
        if value is None:
            if required:
                raise InputError(f"A {kind} result needs '{field}'.")
            continue
        if typ is bool:
            if not isinstance(value, bool):
                raise InputError(f"'{field}' must be true or false.")
        elif not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise InputError(f"'{field}' must be text of 1 to {limit} characters.")
        else:
            value = value.strip()
        out[field] = value
    if kind == "check" and out["status"] not in STATUSES:
        raise InputError(f"'status' must be one of {', '.join(STATUSES)}.")
    if kind == "knowledge" and out["phase"] not in PHASES:
        raise InputError(f"'phase' must be one of {', '.join(PHASES)}.")
    return out


def clean_batch(body) -> list[dict]:
    """The results of one POST body (``{"events": [...]}`` or one result object), each cleaned; any bad one rejects all."""
    events = body.get("events") if isinstance(body, dict) and "events" in body else [body]
    if not isinstance(events, list) or not events:
        raise InputError("'events' must be a non-empty list of results.")
    if len(events) > MAX_EVENTS_PER_POST:
        raise InputError(f"At most {MAX_EVENTS_PER_POST} results per post.")
    cleaned = []
    for i, raw in enumerate(events):
        try:
            cleaned.append(clean_event(raw))
        except InputError as exc:
            raise InputError(f"Result {i + 1}: {exc}") from None
    return cleaned


NAME_LIMIT = 60


def clean_name(name) -> str:
    """A display name: 1 to 60 printable characters, spaces squeezed."""
    if not isinstance(name, str):
        raise InputError("The display name must be text.")
    text = " ".join("".join(ch for ch in name if ch.isprintable()).split())
    if not text or len(text) > NAME_LIMIT:
        raise InputError(f"Choose a display name of 1 to {NAME_LIMIT} characters.")
    return text
