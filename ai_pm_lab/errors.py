"""Errors a learner can act on: each message says what happened and what to do next."""
from __future__ import annotations

import math
import numbers


class CourseError(Exception):
    """Base class for every error the course package raises on purpose."""


class InputError(CourseError, ValueError):
    """A value a learner passed is wrong (empty, out of range, unknown name, unreadable file); the message says the fix."""


class InputTypeError(CourseError, TypeError):
    """A value a learner passed has the wrong type (None, a number for text, ...); the message says what to pass."""


class KnowledgeBaseError(CourseError, ValueError):
    """A knowledge-base folder or file is missing, empty or holds no usable text; the message names the file and fix."""


class CanvasError(CourseError, ValueError):
    """The canvas (or a criterion) is incomplete or contradicts itself; ``.problems`` lists every fix needed."""

    def __init__(self, problems: list[str], what: str = "The canvas"):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{what} is not ready: fix {len(self.problems)} thing(s):\n{lines}")


class ModelError(CourseError, RuntimeError):
    """The local model could not run a step; the message says what to try."""


class ConfigurationError(CourseError, ValueError):
    """A setting, backend name, model id or key is missing or wrong."""


class ContextWindowError(CourseError, ValueError):
    """The prompt does not fit in the model's context window."""


class SpendCapError(CourseError, RuntimeError):
    """A paid call was refused because it would cross the learner's spend cap."""


class ProviderError(CourseError, RuntimeError):
    """A hosted model provider failed; the message says what to try next."""


def require_text(value, name: str = "prompt", *, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a usable string, else raise a friendly error.

    A lone surrogate (a half of a UTF-16 pair, e.g. "\\ud800", as copy-paste from some PDFs leaves) is rejected with
    its position and a one-line clean-up: no tokenizer, model or index can encode it.
    """
    if isinstance(value, bytes):
        raise InputTypeError(f"{name} must be text (str), not bytes: decode it first, e.g. data.decode('utf-8').")
    if not isinstance(value, str):
        raise InputTypeError(f"{name} must be a string, not {type(value).__name__}. Wrap it in quotes or call str() on it.")
    if not allow_empty and not value.strip():
        raise InputError(f"{name} is empty: type some text for the model to work on.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(
                f"{name} has a broken character at position {exc.start:,} ({value[exc.start]!r}, half of a UTF-16 pair, "
                "as copy-paste from some PDFs leaves). Clean it and try again: "
                "text = text.encode('utf-8', 'replace').decode('utf-8') (each broken character becomes '?')."
            ) from None
    return value


def require_number(value, name: str, *, low=None, high=None, integer: bool = False):
    """Return ``value`` if it is a finite number in [low, high], else raise a friendly error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "a whole number" if integer else "a number"
        raise InputTypeError(f"{name} must be {kind}, not {type(value).__name__} ({value!r}).")
    if integer and not float(value).is_integer():
        raise InputTypeError(f"{name} must be a whole number, not {value!r}.")
    if not math.isfinite(float(value)):
        raise InputError(f"{name} must be a finite number, not {value!r}.")
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise InputError(f"{name}={value!r} is out of range: choose a value between {lo} and {hi}.")
    return int(value) if integer else value
