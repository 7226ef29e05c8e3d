"""The form every decision exercise records: ``dict(choice=..., why=...)`` with the choice taken from listed options,
and whether the ``why`` quotes a figure the learner measured (:func:`cites_figure`)."""
from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable

from ai_pm_lab.errors import InputError, InputTypeError

# A number as a PM writes it: an optional sign and $, digits with optional thousands separators, optional decimals,
# then an optional "%" / " %" / " percent". Not part of a word or a longer number ("gpt4", "v2", "7.4.1" stay out).
NUMBER = re.compile(r"""(?<![\w.,])(?P<sign>[-−+])?(?P<usd>\$\s?)?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<dec>\d+))?"""
                    r"""(?P<pct>\s?%|\s?percent\b)?(?![\w]|[.,]\d)""", re.IGNORECASE)
KINDS = ("any", "rate", "number")


def read_decision(decision, options) -> tuple[str | None, str]:
    """(choice, problem) from a learner's ``dict(choice=..., why=...)``; problem is "" when the form is right."""
    if not isinstance(decision, dict) or "choice" not in decision:
        return None, "Record the decision as dict(choice=..., why=...)."
    choice = str(decision.get("choice")).strip()
    if choice not in options:
        return None, f"Pick one of the listed options: {', '.join(options)} (you wrote {choice!r})."
    if len(str(decision.get("why") or "").split()) < 3:
        return choice, "Add a short `why` (a sentence) that names what you measured."
    return choice, ""


def written_numbers(text: str) -> list[tuple[float, float, bool]]:
    """Each number in ``text`` as (value as written, half a unit of its last digit, written as a percent?)."""
    found = []
    for m in NUMBER.finditer(text):
        digits = m.group("int").replace(",", "") + ("." + m.group("dec") if m.group("dec") else "")
        value = float(digits) * (-1 if m.group("sign") in ("-", "−") else 1)
        found.append((value, 0.5 * 10 ** -len(m.group("dec") or ""), bool(m.group("pct"))))
    return found


def cites_figure(why, figures: Iterable[float], *, kind: str = "any") -> bool:
    """True when ``why`` writes a number equal to one of ``figures`` within its own rounding: half a unit of the last
    digit written ("61%" or "61 %" matches 0.6093 as a share, "0.61" matches 0.6093, "$1,200" matches 1,200.4 but not
    1,187.4; a size matches either sign: "fell 5%" quotes -0.05). ``kind``: "any" (a percent may stand for a share or for a figure already in percent), "rate" (figures
    are shares: a percent or a decimal matches), "number" (figures match only as written, no percent reading)."""
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    if isinstance(figures, (str, bytes)) or not isinstance(figures, Iterable):
        raise InputTypeError("figures must be the measured numbers (a list, array or table column), not "
                             f"{type(figures).__name__}.")
    if not isinstance(why, str) or not why.strip():
        return False
    values = [float(f) for f in figures if isinstance(f, numbers.Real) and not isinstance(f, bool)
              and math.isfinite(float(f))]
    for written, half, percent in written_numbers(why):
        tolerance = half * (1 + 1e-9) + 1e-12  # a figure exactly half a unit away still rounds to what was written
        for f in values:
            shown = [f * 100] if percent and kind == "rate" else [f * 100, f] if percent and kind == "any" else [f]
            if any(abs(abs(s) - abs(written)) <= tolerance for s in shown):  # "fell 5%" quotes a change of -0.05
                return True
    return False


def table_figures(table) -> list[float]:
    """Every number in a measured table (a DataFrame's numeric cells, or a dict's / list's numbers), for
    :func:`cites_figure`."""
    if hasattr(table, "select_dtypes"):
        return [float(v) for v in table.select_dtypes("number").to_numpy().ravel().tolist()]
    if isinstance(table, dict):
        table = list(table.values())
    return [float(v) for v in table if isinstance(v, numbers.Real) and not isinstance(v, bool)]


def without_options(why, options) -> str:
    """``why`` with the option values the learner picked from taken out ("efSearch 2", "temperature 0"), so an option
    never passes for a measured figure in :func:`cites_figure` ("0" is within rounding of a measured 0.29)."""
    written = sorted({str(o) for o in options if str(o).strip()}, key=len, reverse=True)
    if not written or not isinstance(why, str):
        return why if isinstance(why, str) else ""
    pattern = r"(?<![\d.,])(?:" + "|".join(re.escape(o) for o in written) + r")(?!\d|[.,]\d)"
    return re.sub(pattern, " ", why)
