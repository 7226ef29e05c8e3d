"""Shared bits of widget plumbing."""
from __future__ import annotations

from ..errors import CourseError


def error_message(exc: BaseException) -> str:
    """The text a widget shows for an error: our own messages as they are, anything else with its type."""
    return str(exc) if isinstance(exc, (CourseError, ValueError, TypeError)) else f"{type(exc).__name__}: {exc}"
