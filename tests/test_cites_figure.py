"""A decision's `why` must quote a figure the learner measured (ai_pm_lab.checks.decisions.cites_figure)."""
import numpy as np
import pandas as pd
import pytest

from ai_pm_lab.checks.decisions import cites_figure, table_figures, written_numbers
from ai_pm_lab.errors import InputError, InputTypeError

CASES = [  # why, figures, kind, cites?
    ("Deflection was 61% but accuracy only 15%.", [0.6093], "any", True),
    ("Deflection was 61 % here.", [0.6093], "any", True),
    ("A share of 0.61 deflected.", [0.6093], "any", True),
    ("Deflection 60.9 percent.", [0.6093], "any", True),
    ("Deflection 60.93%.", [0.6093], "any", True),
    ("Deflection 60.94%.", [0.6093], "any", False),           # written to 2 decimals: 60.935 would be the edge
    ("It costs $1,200 a month.", [1200.4], "any", True),
    ("It costs $1,200 a month.", [1187.4], "any", False),     # written to the unit: 1,187 is not 1,200
    ("It costs $1,187.40 a month.", [1187.4], "any", True),
    ("p95 latency 2.3 s", [2.34], "any", True),
    ("p95 latency 2.3 s", [2.36], "any", False),
    ("Accuracy fell 5% after launch.", [-0.05, 0.2], "any", True),   # a drop is quoted by its size
    ("Accuracy fell 4% after launch.", [-0.05, 0.2], "any", False),
    ("Accuracy moved -5% after launch.", [-0.05], "any", True),
    ("Kappa 0.41 is above what we need.", [41.2], "any", False),      # a decimal is not read as a percent
    ("Recall 41%.", [41.2], "any", True),                              # a figure already in percent
    ("Recall 41%.", [41.2], "rate", False),                            # rate: figures are shares
    ("Recall 41%.", [0.412], "number", False),                         # number: no percent reading
    ("We measured 120 tickets.", [120], "number", True),
    ("The model looked better and users liked it.", [0.61, 120], "any", False),  # no number at all
    ("Guardrail was 10% in the brief.", [0.58], "any", False),         # a number from the exercise text, not measured
    ("Guardrail was 10% and we refused 58%.", [0.58], "any", True),
    ("Option gpt4 and v2 are fine.", [4, 2], "any", False),            # digits inside words are not figures
    ("See exercise 7.4.1 for it.", [7.4], "any", False),
    ("", [0.5], "any", False),
    (None, [0.5], "any", False),
]


@pytest.mark.parametrize("why, figures, kind, cites", CASES)
def test_cites_figure(why, figures, kind, cites):
    assert cites_figure(why, figures, kind=kind) is cites


def test_missing_figures_are_skipped_and_arrays_work():
    assert cites_figure("61%", np.array([np.nan, 0.6093]))
    assert cites_figure("61%", pd.Series([None, 0.61]))
    assert not cites_figure("61%", [])


def test_numbers_are_read_as_written():
    assert written_numbers("$1,200.50 and 61 % and 0.5") == [(1200.5, 0.005, False), (61.0, 0.5, True),
                                                              (0.5, 0.05, False)]


def test_table_figures_reads_the_numbers_of_a_measured_table():
    table = pd.DataFrame({"model": ["a", "b"], "accuracy": [0.15, 0.62], "cost": [1200.0, 80.0]})
    assert sorted(table_figures(table)) == [0.15, 0.62, 80.0, 1200.0]
    assert cites_figure("Model b: 62% at $80 a month.", table_figures(table))
    assert table_figures({"kappa": 0.41, "name": "judge"}) == [0.41]


def test_bad_arguments():
    with pytest.raises(InputError):
        cites_figure("61%", [0.61], kind="percent")
    with pytest.raises(InputTypeError):
        cites_figure("61%", 0.61)
    with pytest.raises(InputTypeError):
        cites_figure("61%", "0.61")
