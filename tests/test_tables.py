"""Tables as a notebook shows them (ai_pm_lab.tables): rates as %, money as $, no raw long decimals; data untouched."""
import re
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from IPython.core.formatters import HTMLFormatter

from ai_pm_lab import tables

RAW_DECIMAL = re.compile(r"(?<![\d.$])\d[\d,]*\.\d{5,}(?!\d)")  # what the real-browser check warns about


def test_rates_money_and_numbers_are_formatted_by_column():
    df = pd.DataFrame({"model": ["a", "b", "c"], "hallucination_rate": [1 / 3, 0.0, 1.0],
                       "per_query": [0.000115, 0.0126953125, 0.0], "per_month": [1200.0, 34.5, 0.0],
                       "latency_s": [1.23456, 0.5, 2.0], "tokens": [12, 30, 7], "mrr": [0.94, 0.8666, 0.1]})
    shown = tables.readable(df)
    assert shown["hallucination_rate"].tolist() == ["33.3%", "0%", "100%"]
    assert shown["per_query"].tolist() == ["$0.000115", "$0.01", "$0"]
    assert shown["per_month"].tolist() == ["$1,200.00", "$34.50", "$0"]
    assert shown["latency_s"].tolist() == ["1.23", "0.50", "2.00"]
    assert shown["mrr"].tolist() == ["0.94", "0.87", "0.10"]
    assert shown["tokens"].tolist() == [12, 30, 7]  # integers stay as they are
    assert df["hallucination_rate"].iloc[0] == 1 / 3  # the data itself is never changed


def test_a_rate_word_with_values_above_one_is_not_a_percentage():
    df = pd.DataFrame({"hits": [3.0, 5.0], "share_of_budget_usd": [250.0, 0.5]})
    shown = tables.readable(df)
    assert shown["hits"].tolist() == ["3", "5"]
    assert shown["share_of_budget_usd"].tolist() == ["$250.00", "$0.50"]


def test_missing_values_duplicate_names_and_tiny_numbers():
    df = pd.DataFrame([[np.nan, 0.5, 0.000123], [0.25, np.nan, 0.5]], columns=["recall", "recall", "score"])
    shown = tables.readable(df)
    assert shown.iloc[:, 0].tolist() == ["–", "25%"]
    assert shown.iloc[:, 1].tolist() == ["50%", "–"]
    assert shown.iloc[:, 2].tolist() == ["0.0001", "0.50"]  # 4 decimals at most: never a raw long decimal


def test_no_raw_long_decimals_in_the_html():
    df = pd.DataFrame({"accuracy": np.linspace(0, 1, 7), "cost_usd": np.linspace(0, 0.001, 7),
                       "z": np.linspace(-1, 1, 7) / 3})
    raw = df._repr_html_()
    assert RAW_DECIMAL.search(raw)  # the check below can fail: pandas alone shows 0.166667
    assert not RAW_DECIMAL.search(tables.readable(df)._repr_html_())


@pytest.fixture
def fake_notebook(monkeypatch):
    """A running IPython as far as use_readable_tables can tell: IPython imported, get_ipython() a shell."""
    formatter = HTMLFormatter()
    shell = types.SimpleNamespace(display_formatter=types.SimpleNamespace(formatters={"text/html": formatter}))
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    return formatter


def test_switched_on_in_a_notebook_and_off_again(fake_notebook):
    df = tables.course_table(pd.DataFrame({"refusal_rate": [0.333333, 0.5]}))
    assert tables.use_readable_tables() is True
    assert "33.3%" in fake_notebook(df) and "0.333333" not in fake_notebook(df)
    assert tables.use_readable_tables(False) is True
    assert "0.333333" in fake_notebook(df)  # pandas' own _repr_html_ takes over again


def test_outside_a_notebook_nothing_is_switched_on(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    assert tables.use_readable_tables() is False


def test_an_odd_table_is_still_shown(fake_notebook, monkeypatch):
    tables.use_readable_tables()
    monkeypatch.setattr(tables, "readable", lambda df: 1 / 0)
    assert "<table" in fake_notebook(tables.course_table(pd.DataFrame({"x": [0.5]})))


def test_timestamps_show_to_the_second():
    df = pd.DataFrame({"time": pd.to_datetime(["2026-11-26 18:55:30.259817+00:00", None], utc=True)})
    assert tables.readable(df)["time"].tolist() == ["2026-11-26 18:55:30", "–"]


def test_mixed_columns_format_only_their_floats():
    measured = pd.Series({"points": 71, "reopen (ms)": 6.708893, "folder size (KB)": 364.574219, "same": True,
                          "ids": [4, 1], "note": "kept"}).to_frame("measured")
    assert tables.readable(measured)["measured"].tolist() == [71, "6.7", "365", True, [4, 1], "kept"]
    pii = pd.DataFrame({"type": ["EMAIL", "NAME"], "recall": [0.857143, None]}, dtype=object)
    assert tables.readable(pii)["recall"].tolist() == ["85.7%", "–"]


def test_a_column_spanning_orders_of_magnitude_formats_each_value():
    plans = pd.DataFrame({"weeks": [26.0, 2.0], "cost ($)": [456000.0, 16000.0], "chance": [0.25, 0.9992],
                          "per query": [0.0, 0.000180]}).T  # a transposed table: each column mixes units
    assert tables.readable(plans)[0].tolist() == ["26", "456,000", "0.25", "0"]
    assert tables.readable(plans)[1].tolist() == ["2", "16,000", "1.00", "0.0002"]


def test_a_tiny_number_never_shows_as_zero():
    latency = pd.DataFrame({"p95 latency (s)": [0.000013, 1.83, 0.0]})
    assert tables.readable(latency)["p95 latency (s)"].tolist() == ["<0.0001", "1.8", "0"]


@pytest.mark.parametrize("value, shown", [(0.0004, "<0.1%"), (0.9996, ">99.9%"), (0.0, "0%"), (1.0, "100%"),
                                          (1 / 3, "33.3%"), (0.5, "50%"), (-0.0004, "-<0.1%"), (-0.0, "0%"), (None, "n/a"),
                                          (float("nan"), "n/a")])
def test_a_rate_never_reads_as_zero_or_a_hundred_when_it_is_not(value, shown):
    assert tables.format_rate(value) == shown


def test_a_rate_to_whole_percents_and_a_signed_change():
    assert [tables.format_rate(v, 0) for v in (0.004, 0.996, 0.333, 0.0)] == ["<1%", ">99%", "33%", "0%"]
    assert tables.format_rate(0.012, sign=True) == "+1.2%" and tables.format_rate(-0.012, sign=True) == "-1.2%"


def test_a_table_rate_column_keeps_a_tiny_rate_visible():
    shown = tables.readable(pd.DataFrame({"hallucination_rate": [0.0004, 0.9996]}))
    assert shown["hallucination_rate"].tolist() == ["<0.1%", ">99.9%"]


@pytest.mark.parametrize("value, shown", [(0.000115, "$0.000115"), (0.005, "$0.005"), (0.0001, "$0.0001"),
                                          (0.0126953125, "$0.01"), (1200, "$1,200.00"), (0, "$0"),
                                          (-0.5, "-$0.50"), (None, "n/a")])
def test_one_rule_for_money(value, shown):
    assert tables.format_money(value) == shown


def test_a_learners_own_table_shows_as_pandas_shows_it(fake_notebook):
    tables.use_readable_tables()
    mine = pd.DataFrame({"cost": [0.123456, 2.5], "stage": [0.25, 0.5]})
    assert "0.123456" in fake_notebook(mine) and "$" not in fake_notebook(mine)  # not reformatted behind my back
    assert tables.style_all(True) is True
    try:
        assert "$0.12" in fake_notebook(mine) and "25%" in fake_notebook(mine)  # the documented opt-in
    finally:
        tables.style_all(False)
    assert "0.123456" in fake_notebook(mine)


def test_a_course_table_stays_readable_through_pandas_steps(fake_notebook):
    tables.use_readable_tables()
    course = tables.course_table(pd.DataFrame({"model": ["a", "b", "a"], "cost_usd": [0.123456, 2.5, 0.2],
                                               "refusal_rate": [1 / 3, 0.5, 0.25]}))
    derived = [course.round(3), course[["model", "cost_usd"]], course.head(2), course.sort_values("cost_usd"),
               course[course["cost_usd"] > 0.1], course.T, pd.concat([course, course]), course.reset_index(),
               course.groupby("model")[["cost_usd", "refusal_rate"]].mean(), course.copy()]
    for df in derived:
        assert tables.is_course_table(df), df
    assert not tables.is_course_table(pd.DataFrame(course.to_dict()))  # rebuilt from plain data: the learner's own


def test_a_decorated_function_marks_the_tables_it_returns():
    @tables.returns_course_table
    def report():
        return {"table": pd.DataFrame({"x": [0.5]}), "n": 3}

    @tables.returns_course_table
    def table():
        """One table."""
        return pd.DataFrame({"x": [0.5]})

    assert tables.is_course_table(report()["table"]) and tables.is_course_table(table())
    assert table.__doc__ == "One table."


def test_no_module_formats_a_rate_or_money_on_its_own():
    """One formatter each: f"{x:.0%}" or f"${x:.6f}" elsewhere would round 0.0004 to 0% or give a fifth dollar style.
    plots.py is exempt: it sits beside tables in the lowest layer and may not import it (chart labels only)."""
    own = re.compile(r":\+?,?\.\d%\}|\$\{[^}]*:,?\.[1-9][fe]\}|[\"']\{:,?\.\d%\}[\"']|:\.\de\}")
    root = Path(tables.__file__).parent
    found = [f"{p.relative_to(root)}:{i}: {line.strip()}" for p in sorted(root.rglob("*.py"))
             if p.name not in ("tables.py", "plots.py")
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if own.search(line)]
    assert not found, "format through tables.format_rate / format_money:\n" + "\n".join(found)
