"""Tables a PM can read: rates as percentages, money as dollars, other decimals only to the digits that matter (the
data itself is never changed; only what the notebook shows). The one home of ``format_rate`` and ``format_money``:
every figure the course prints as a rate or an amount of money goes through them.

``import ai_pm_lab`` switches this on in a running notebook kernel for the course's own tables: a function of the
course marks the DataFrame it returns (``course_table``; ``df.attrs`` carries the mark through ``df.round()``,
``df[cols]``, ``df.head()`` and most other pandas steps). A learner's own DataFrame shows as pandas shows it, even with
a column named "cost" or "stage"; ``style_all(True)`` shows every DataFrame readable, ``use_readable_tables(False)``
switches the whole hook off."""
from __future__ import annotations

import dataclasses
import functools
import math
import re

import pandas as pd
from pandas.io.formats.style import Styler

from ai_pm_lab.shell import running_shell

# A float column whose name holds one of these words, and whose values all lie in [0, 1], is a rate: 0.3333 -> 33.3%.
RATE_WORDS = ("rate", "share", "accuracy", "recall", "precision", "hit", "coverage", "fraction", "pct", "percent",
              "f1", "agreement", "correct", "grounded", "refus", "hallucinat", "declined", "wrong answers", "stage")
# A float column whose name holds one of these words is money in US dollars: 1200 -> $1,200.00, 0.000115 -> $0.000115.
MONEY_WORDS = ("usd", "cost", "price", "per_query", "per_call", "per_day", "per_month", "per_year", "spend", "bill",
               "budget", "$")
MISSING = "–"


def column_kind(name, values: pd.Series) -> str:
    """'rate', 'money' or 'number' for a float column, from its name and values."""
    label = str(name).lower()
    finite = values[pd.notna(values)]
    if any(w in label for w in RATE_WORDS) and ((finite >= 0) & (finite <= 1)).all():
        return "rate"
    if any(w in label for w in MONEY_WORDS):
        return "money"
    return "number"


def _missing(v) -> bool:
    return v is None or (pd.api.types.is_scalar(v) and bool(pd.isna(v)))


def format_rate(v, digits: int = 1, *, sign: bool = False) -> str:
    """A share as a percentage: 0.3333 -> '33.3%', 0.5 -> '50%'; never '0%' or '100%' unless exactly so (0.0004 ->
    '<0.1%', 0.9996 -> '>99.9%'); ``digits`` decimals at most; ``sign`` adds '+' to a positive change; 'n/a' if missing."""
    if _missing(v):
        return "n/a"
    v = float(v) + 0.0  # -0.0 reads as 0%
    text = f"{v * 100:.{digits}f}"
    if digits:
        text = text.rstrip("0").rstrip(".")
    step = f"{10 ** -digits:.{digits}f}"  # the smallest step this many decimals can show: '0.1'
    if v != 0 and float(text) == 0:
        text = ("-" if v < 0 else "") + "<" + step
    elif 0 < v < 1 and float(text) >= 100:
        text = ">" + f"{100 - float(step):.{digits}f}"
    return ("+" if sign and v > 0 else "") + text + "%"


def format_money(v) -> str:
    """US dollars: cents from one cent up ('$1,200.00'), three significant digits below a cent ('$0.000115',
    '$0.005'), '$0' for zero, 'n/a' if missing."""
    if _missing(v):
        return "n/a"
    v = float(v)
    if v == 0:
        return "$0"
    sign = "-" if v < 0 else ""
    v = abs(v)
    if v >= 0.01 or not math.isfinite(v):
        return f"{sign}${v:,.2f}"
    decimals = 2 - math.floor(math.log10(v))
    return f"{sign}${v:.{decimals}f}".rstrip("0")


def _two_significant(smallest: float) -> int:
    """Decimals that show ``smallest`` (> 0) to two significant digits, 0 to 4."""
    return max(0, min(4, 1 - math.floor(math.log10(smallest))))


def number_decimals(values: pd.Series) -> int | None:
    """Decimals that give the column's smallest non-zero value two significant digits (0 to 4); None when its values
    span more than a factor of 100 (a transposed or mixed table), so each value gets its own."""
    finite = values[pd.notna(values) & (values != 0)].abs()
    finite = finite[finite != math.inf]
    if finite.empty or (finite == finite.round()).all():
        return 0
    if finite.max() / finite.min() > 100:
        return None
    return _two_significant(finite.min())


def format_number(v: float, decimals: int | None = None) -> str:
    """A number with thousands separators; without ``decimals``, whole numbers bare and others to two significant digits."""
    if decimals is None:
        decimals = 0 if float(v).is_integer() or not math.isfinite(v) else _two_significant(abs(v))
    text = f"{v:,.{decimals}f}"
    if decimals and v != 0 and float(text.replace(",", "")) == 0:  # 0.000013 is not zero: say how small instead
        return ("-" if v < 0 else "") + "<" + f"{10 ** -decimals:.{decimals}f}"
    return text


def _formatter(kind: str, decimals: int | None = None):
    """The function that formats one value of a column of this kind (numbers: ``decimals``, or each its own)."""
    if kind == "rate":
        return format_rate
    if kind == "money":
        return format_money
    return lambda v: format_number(v, decimals)


def readable(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` for display: rates as %, money as $, other decimals rounded, timestamps to the second."""
    out = df.copy()
    for i in range(df.shape[1]):
        col = df.iloc[:, i]
        if pd.api.types.is_datetime64_any_dtype(col):  # to the second: microseconds and time zones are noise here
            out.isetitem(i, col.map(lambda v: MISSING if pd.isna(v) else v.strftime("%Y-%m-%d %H:%M:%S")).astype(object))
            continue
        if pd.api.types.is_object_dtype(col):  # mixed values (a measured dict as a column): format the floats only
            floats = [v for v in col if isinstance(v, float)]
            if floats:
                out.isetitem(i, col.map(_value_formatter(df.columns[i], pd.Series(floats, dtype=float))))
            continue
        if not pd.api.types.is_float_dtype(col):
            continue
        kind = column_kind(df.columns[i], col)
        fmt = _formatter(kind, number_decimals(col) if kind == "number" else None)
        out.isetitem(i, col.map(lambda v: MISSING if pd.isna(v) else fmt(v)).astype(object))
    return out


def _value_formatter(name, floats: pd.Series):
    """For a column of mixed values: floats formatted by the column's kind (numbers each to two significant digits)."""
    fmt_float = _formatter(column_kind(name, floats))

    def fmt(v):
        if v is None:
            return MISSING
        if not isinstance(v, float):
            return v
        return MISSING if pd.isna(v) else fmt_float(v)
    return fmt


MARK = "ai_pm_lab"  # the key in DataFrame.attrs that marks one of the course's tables
_style = {"all": False}


def course_table(df: pd.DataFrame) -> pd.DataFrame:
    """Mark ``df`` as one of the course's tables (a notebook shows it readable) and return it."""
    df.attrs[MARK] = "course table"
    return df


def _mark(value):
    """Mark a DataFrame, or the DataFrames directly inside a dict, list, tuple or dataclass result; returns ``value``."""
    if isinstance(value, pd.DataFrame):
        course_table(value)
    elif isinstance(value, dict):
        for v in value.values():
            if isinstance(v, pd.DataFrame):
                course_table(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            if isinstance(v, pd.DataFrame):
                course_table(v)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            v = getattr(value, field.name, None)
            if isinstance(v, pd.DataFrame):
                course_table(v)
    return value


def returns_course_table(fn):
    """Decorator: the DataFrames ``fn`` returns (alone or directly inside a dict, list, tuple or dataclass) are course tables."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return _mark(fn(*args, **kwargs))
    return wrapper


def is_course_table(df: pd.DataFrame) -> bool:
    """Whether a notebook shows ``df`` readable: a course table, or any table after ``style_all(True)``."""
    return _style["all"] or MARK in df.attrs


def style_all(on: bool = True) -> bool:
    """Show every DataFrame readable, your own too (on), or only the course's tables (off, the default); returns ``on``."""
    _style["all"] = bool(on)
    return _style["all"]


# pandas leaves the corner above the row labels as an empty header cell, which a screen reader announces as a nameless
# column (axe-core: empty-table-header): shown as a plain cell instead.
_EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>(?:\s|&nbsp;)*</th>")


def _no_empty_headers(shown):
    return _EMPTY_HEADER.sub(r"<td\1></td>", shown) if shown else shown


def _html(df: pd.DataFrame):
    return _no_empty_headers(_pandas_html(df))


def _styler_html(styler):
    """A table the notebook styles itself (``df.style.format(...)``) as pandas draws it, minus the empty header cell."""
    return _no_empty_headers(styler._repr_html_())


def _pandas_html(df: pd.DataFrame):
    if not is_course_table(df):
        return df._repr_html_()
    try:
        return readable(df)._repr_html_()
    except Exception:  # noqa: BLE001 - an odd table is shown as pandas shows it rather than not at all
        return df._repr_html_()


def use_readable_tables(on: bool = True) -> bool:
    """Show the course's tables (``style_all``: every table) through ``readable`` (on) or as pandas does (off); False
    outside IPython."""
    shell = running_shell()
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters["text/html"]
    if on:
        formatter.for_type(pd.DataFrame, _html)
        formatter.for_type(Styler, _styler_html)
    else:
        formatter.pop(pd.DataFrame, None)
        formatter.pop(Styler, None)
    return True
