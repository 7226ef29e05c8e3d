"""The suite does not depend on today's date: one clock (catalog.today), dates passed explicitly, and the date-sensitive
tests re-run under Debian's faketime on a day after the 2027-01-14 shutdowns. What a learner sees after a shutdown date
(a shut-down default replaced by its successor with one line, a shut-down row marked in a cost table) is tested here."""
from __future__ import annotations

import ast
import datetime as dt
import os
import shutil
import subprocess
import sys

import pytest

from ai_pm_lab import budget, catalog
from ai_pm_lab.errors import ConfigurationError, InputError, InputTypeError
from conftest import ROOT, root_on_debian

AFTER = "2027-02-01"  # after gpt-4o, gpt-4o-mini, gpt-4.1 and gpt-4.1-mini shut down (2027-01-14)
BEFORE = "2027-01-13"
FAKETIME = shutil.which("faketime")
INSTALL = "sudo apt-get update && sudo apt-get install -y faketime (make test installs it when run as root on Debian)"
# The tests whose results hang on model statuses, prices of served models or the date (found with
# grep -rln "today\|status_on\|retired\|deprecated" tests ai_pm_lab), re-run under the fake clock.
DATE_SENSITIVE = ("tests/test_catalog.py", "tests/test_caching.py", "tests/test_foundation.py", "tests/test_settings.py",
                  "tests/test_checks_week01.py", "tests/test_week2_widgets.py", "tests/test_clock.py")
# Modules that stamp a record with the time it was made (a log line, a report's date); none decides a model's status.
TIMESTAMPS = {"rag/log.py", "rag/gate.py", "capstone/present.py", "responsibility/checklist.py",
              "llm/weights.py"}  # weights.py stamps converted_at on the provenance record




# --- one clock -----------------------------------------------------------------------------------------------------
def test_only_the_catalog_asks_the_clock_for_a_date():
    hits = []
    for path in (ROOT / "ai_pm_lab").rglob("*.py"):
        rel = path.relative_to(ROOT / "ai_pm_lab").as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("today", "now")
                    and isinstance(node.func.value, (ast.Name, ast.Attribute))):
                owner = node.func.value.id if isinstance(node.func.value, ast.Name) else node.func.value.attr
                if owner in ("date", "datetime", "dt") and rel not in TIMESTAMPS | {"catalog/__init__.py"}:
                    hits.append(f"{rel}:{node.lineno}")
    assert not hits, (f"a date that decides something comes from catalog.today() (or an on=... argument): {hits}; "
                      "a timestamp stamped on a record may be added to TIMESTAMPS above")


def test_dates_are_accepted_as_iso_strings_and_bad_ones_are_clear():
    table = catalog.price_table(on="2025-01-01")
    assert len(table) and (table["status"] != "retired").all()
    assert catalog.as_day("2027-02-01") == dt.date(2027, 2, 1) == catalog.as_day(dt.datetime(2027, 2, 1, 9))
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        catalog.price_table(on="2025-13-01")
    with pytest.raises(InputTypeError, match="2027-02-01"):
        catalog.models(on=20250101)


def test_frozen_today_is_what_every_default_date_reads():
    row = catalog.model_info("gpt-4o-mini")
    with catalog.frozen_today(BEFORE):
        assert catalog.today() == dt.date(2027, 1, 13) and row.served_on() and row in catalog.models()
    with catalog.frozen_today(AFTER):
        assert row.status_on() == "retired" and row not in catalog.models()
        assert catalog.status_note("gpt-4o-mini").endswith(f"instead: {row.successor}, " + ", ".join(
            m.model_id for m in catalog.current_models("openai") if m.model_id != row.successor) + ".")


# --- what a learner sees after a shutdown date -----------------------------------------------------------------------
def test_every_row_that_is_not_current_names_a_current_successor_of_its_provider():
    for m in catalog.models(include_retired=True):
        if m.status != "current":
            successor = catalog.model_info(m.successor)
            assert successor.status == "current" and successor.provider == m.provider, m.model_id


def test_a_shut_down_model_the_learner_did_not_pick_is_replaced_by_its_successor_with_one_line(capsys):
    catalog.reset_notices()
    assert catalog.in_service("gpt-4o-mini", on=BEFORE) == "gpt-4o-mini" and capsys.readouterr().out == ""
    assert catalog.in_service("gpt-4o-mini", on=AFTER) == "gpt-6-luna"
    assert catalog.in_service("gpt-4o-mini", on=AFTER) == "gpt-6-luna"
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "gpt-4o-mini" in lines[0] and "2027-01-14" in lines[0] and "gpt-6-luna" in lines[0]
    assert catalog.in_service("llama3.2", on=AFTER) == "llama3.2"  # a model the table does not know is left alone
    for provider in catalog.providers():  # the defaults are current on both days
        assert catalog.default_model(provider, on=AFTER) == catalog.default_model(provider, on=BEFORE)
    catalog.reset_notices()


def test_a_shut_down_model_is_never_priced_and_a_cost_table_marks_it(capsys):
    traffic = budget.Traffic(10_000, 600, 200)
    assert budget.scenario_cost("gpt-4o-mini", traffic, on=BEFORE)["per_month"] > 0
    with pytest.raises(ConfigurationError, match="no longer served"):
        budget.scenario_cost("gpt-4o-mini", traffic, on=AFTER)
    with pytest.raises(ConfigurationError, match="no longer served"):
        budget.scenario_cost("gpt-4-turbo", traffic)  # retired on any day
    table = budget.cost_table(traffic, ["gpt-6-luna", "gpt-4o-mini"], on=AFTER).set_index("model")
    assert table.loc["gpt-6-luna", "per_month"] > 0 and table.loc["gpt-6-luna", "status"] == "current"
    assert table.loc["gpt-4o-mini", "status"] == "retired" and table.loc["gpt-4o-mini", "successor"] == "gpt-6-luna"
    assert table["per_month"].isna().tolist() == [False, True]  # marked rows go last, with no price
    assert "gpt-4o-mini" in capsys.readouterr().out
    served = budget.cost_table(traffic, on=AFTER)
    assert set(served["model"]) == {m.model_id for m in catalog.models(on=AFTER)}
    assert len(budget.prefix_caching({"policy": 2_000}, ["gpt-4o-mini"], on=BEFORE)) == 1
    with pytest.raises(ConfigurationError, match="no longer served"):
        budget.prefix_caching({"policy": 2_000}, ["gpt-4o-mini"], on=AFTER)


# --- the proof: the date-sensitive tests pass on a day after the shutdowns ---------------------------------------------
@pytest.mark.skipif(FAKETIME is None and not root_on_debian(), reason=f"faketime is missing: {INSTALL}")
def test_date_sensitive_tests_pass_under_a_clock_set_after_the_shutdowns():
    assert FAKETIME, f"faketime is missing although this runs as root on Debian: run `make browser-deps`, or {INSTALL}"
    missing = [f for f in DATE_SENSITIVE if not (ROOT / f).is_file()]
    assert not missing, f"renamed or removed: {missing}; update DATE_SENSITIVE so the fake-clock run still covers them"
    clock = [FAKETIME, f"{AFTER} 12:00:00"]
    env = {**os.environ, "AI_PM_LAB_THREADS": "1"}
    seen = subprocess.run([*clock, sys.executable, "-c", "from ai_pm_lab import catalog; print(catalog.today())"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert seen.stdout.strip() == AFTER, seen.stderr  # the fake clock reaches the course's one clock
    proc = subprocess.run(
        [*clock, sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly",
         *DATE_SENSITIVE, "--deselect", f"tests/test_clock.py::{test_date_sensitive_tests_pass_under_a_clock_set_after_the_shutdowns.__name__}"],
        capture_output=True, text=True, timeout=900, cwd=ROOT, env=env)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0 and " passed" in proc.stdout, f"date-sensitive tests failed on {AFTER}:\n{tail}"
