"""Shared bits of widget plumbing."""
from __future__ import annotations

from ai_pm_lab.errors import CourseError


def error_message(exc: BaseException) -> str:
    """The text a widget shows for an error: our own messages as they are, anything else with its type."""
    return str(exc) if isinstance(exc, (CourseError, ValueError, TypeError)) else f"{type(exc).__name__}: {exc}"


COURSE_ERRORS = (CourseError, ValueError, TypeError)


def table_html(df, floatfmt: str = "{:,.4f}") -> str:
    """A DataFrame as a compact HTML table for a widget."""
    return df.to_html(index=False, float_format=floatfmt.format, border=0)
