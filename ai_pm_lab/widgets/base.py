"""What every widget shares: the latest result in ``.state``, and ONE error policy.

The policy: a widget never raises into the notebook. An error the course raises on purpose (a CourseError, or a
ValueError/TypeError from argument checks) is shown as its message, which says what to do; any other error is
shown with its type ("RuntimeError: ...") so it is never mistaken for a course message, and never swallowed."""
from __future__ import annotations

import html
from collections.abc import Callable

from ai_pm_lab.errors import CourseError
from ai_pm_lab.plots import PALETTE
from ai_pm_lab.tables import readable

COURSE_ERRORS = (CourseError, ValueError, TypeError)


def error_message(exc: BaseException) -> str:
    """The text a widget shows for an error: our own messages as they are, anything else with its type."""
    return str(exc) if isinstance(exc, COURSE_ERRORS) else f"{type(exc).__name__}: {exc}"


def error_html(message: str) -> str:
    """An error message as the bold warning line widgets show."""
    return f"<b>⚠️ {html.escape(message)}</b>"


def table_html(df) -> str:
    """A DataFrame as a compact HTML table for a widget, shown as the notebook shows a course table (tables.readable)."""
    return readable(df).to_html(index=False, border=0)


class CourseWidget:
    """Base class of the course's widgets: ``state`` holds the latest result; ``attempt`` applies the error policy."""

    def __init__(self):
        self.state: dict = {}

    @staticmethod
    def attempt(fn: Callable, *args, **kwargs) -> dict:
        """``fn(*args, **kwargs)`` as a state dict with ``error`` None, or ``{"error": message}`` if it raised.

        A result that is a dict becomes the state (an ``error`` field of its own is kept); any other result is
        stored under ``result``."""
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the one policy: shown in the widget, never raised, never silent
            return {"error": error_message(exc)}
        state = dict(result) if isinstance(result, dict) else {"result": result}
        state.setdefault("error", None)
        return state


# Button colours with readable text (WCAG AA, 4.5:1 or more for white text): ipywidgets' own "primary" blue (3.1:1) and
# "warning" orange (2.2:1) are too pale. tests/test_accessibility.py measures both.
ACTION_COLOUR = PALETTE[0]   # Okabe-Ito blue, 5.2:1
CAUTION_COLOUR = "#B34700"  # a dark Okabe-Ito vermilion for slow or costly actions, 5.5:1


def action_style(caution: bool = False) -> dict:
    """The ``style`` of a course button: white text on a colour dark enough to read (``caution`` for slow actions)."""
    return {"button_color": CAUTION_COLOUR if caution else ACTION_COLOUR, "text_color": "white"}
