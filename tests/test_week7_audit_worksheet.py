"""Week 7: the training-data audit (computed on the ticket data) and the uncertainty / errors / feedback worksheet that
goes on the one-pager."""
import pandas as pd
import pytest

from ai_pm_lab.errors import CanvasError, InputError, InputTypeError
from ai_pm_lab.framing import (
    OpportunityCanvas,
    SuccessCriteria,
    build_problem_statement,
    guardrail,
    success,
    ux_worksheet,
    write_one_pager,
)
from ai_pm_lab.framing.data_strategy import AUDIT_LOOK, AUDIT_OK, AUDIT_UNKNOWN, audit_training_data


def _by_check(df):
    return df.set_index("check")


def test_audit_of_the_course_tickets_is_computed_from_the_file():
    a = _by_check(audit_training_data())
    assert list(a.index) == ["label balance", "duplicates", "missing values", "who wrote the labels", "date range"]
    assert a.loc["label balance", "figure"] == 1.0 and a.loc["label balance", "status"] == AUDIT_OK  # 24 per label
    assert a.loc["duplicates", "figure"] == 0 and a.loc["missing values", "figure"] == 0
    assert a.loc["who wrote the labels", "status"] == AUDIT_UNKNOWN and a.loc["date range", "status"] == AUDIT_UNKNOWN


def test_audit_flags_what_is_wrong():
    rows = pd.DataFrame({"text": ["Refund me", "refund   ME", "", "Where is my parcel?", "app crashes", "x"],
                         "label": ["billing", "billing", "billing", "shipping", "technical", None],
                         "labelled_by": ["ana", "ana", "ana", "ana", "ana", "ana"],
                         "date": ["2025-01-02", "2025-01-05", "2025-01-09", "2025-01-09", "bad", "2025-01-20"]})
    a = _by_check(audit_training_data(rows))
    assert a.loc["duplicates", "figure"] == 1 and a.loc["duplicates", "status"] == AUDIT_LOOK
    assert a.loc["missing values", "figure"] == 2
    assert a.loc["label balance", "figure"] == pytest.approx(3.0) and a.loc["label balance", "status"] == AUDIT_LOOK
    assert a.loc["who wrote the labels", "figure"] == 1 and a.loc["who wrote the labels", "status"] == AUDIT_LOOK
    assert a.loc["date range", "figure"] == 18 and a.loc["date range", "status"] == AUDIT_LOOK


def test_audit_says_which_column_is_missing():
    with pytest.raises(InputError, match="label"):
        audit_training_data([{"text": "hi"}])
    with pytest.raises(InputError, match="no rows"):
        audit_training_data(pd.DataFrame({"text": [], "label": []}))


ANSWERS = dict(expectations="We tell agents it suggests a queue and that they can always move a ticket.",
               uncertainty="Below the confidence line measured on held-out tickets the ticket goes to the manual queue.",
               errors="A ticket in the wrong queue waits; agents move it with one click and the move is logged.",
               feedback="Every manual move is kept as a new label; the PM reviews the moves each Friday.")


def test_worksheet_names_every_missing_answer():
    with pytest.raises(CanvasError) as err:
        ux_worksheet(**{**ANSWERS, "uncertainty": "", "feedback": "thumbs"})
    assert len(err.value.problems) == 2 and all("worksheet" in p for p in err.value.problems)
    with pytest.raises(InputTypeError):
        ux_worksheet(**{**ANSWERS, "errors": 3})


def test_worksheet_goes_on_the_one_pager(tmp_path):
    problem = build_problem_statement("agents", "tickets wait in the wrong queue", "1,200 moves a month",
                                      "a keyword list", "free text", ["two topics"])
    criteria = SuccessCriteria([success("routing F1", 0.5, 0.7), guardrail("ms", 50, "lower")])
    go = dict(needs_ai=True, has_data=True, tolerates_variability=True, affords_inference=True, has_feedback_loop=True)
    canvas = OpportunityCanvas("Route tickets", go, problem, criteria, ux=ux_worksheet(**ANSWERS))
    text = write_one_pager(canvas, tmp_path / "p.md").read_text()
    assert "## When the AI is unsure or wrong" in text and ANSWERS["feedback"] in text
    canvas.ux = "be careful"
    assert any("ux_worksheet" in p for p in canvas.problems())
