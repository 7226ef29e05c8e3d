"""Calibrating the answerability gate on a learner's own questions.csv: refit on the folder's labels with
stratified cross-validation, before/after rates with Wilson intervals, and a clear "uncalibrated" with the labels
needed when there are too few. Asserts on computed values, never on generated text."""
import numpy as np
import pytest

from ai_pm_lab import capstone
from ai_pm_lab.capstone.calibrate import CAUGHT, FALSE_REFUSALS, labelled_rows
from ai_pm_lab.capstone.project import bundled_project
from ai_pm_lab.capstone.samples import write_questions
from ai_pm_lab.errors import InputError
from ai_pm_lab.rag.gate import Gate, choose_cutoff, default_gate, signal_table

FACTS = [
    ("Opening hours", "The bike shop opens at 9 am and closes at 6 pm from Monday to Saturday.",
     "When does the bike shop open?", "9 am"),
    ("Repairs", "A puncture repair costs 12 euros and takes about one hour.", "How much does a puncture repair cost?", "12 euros"),
    ("Rentals", "A city bike can be rented for 15 euros per day, helmet included.", "How much is a city bike rental per day?",
     "15 euros"),
    ("Warranty", "New bikes have a five-year warranty on the frame.", "How long is the frame warranty on a new bike?",
     "five-year"),
    ("Delivery", "We deliver bikes within 20 kilometres for a flat fee of 25 euros.", "What does bike delivery cost?",
     "25 euros"),
    ("Service plan", "The yearly service plan includes two full tune-ups and costs 90 euros.",
     "What does the yearly service plan include?", "two full tune-ups"),
    ("Trade-in", "You can trade in an old bike for store credit of up to 200 euros.", "How much store credit for a trade-in?",
     "200 euros"),
    ("E-bike batteries", "An e-bike battery takes four hours to charge fully.", "How long does an e-bike battery take to charge?",
     "four hours"),
    ("Gift cards", "Gift cards are valid for three years from the date of purchase.", "How long are gift cards valid?",
     "three years"),
    ("Kids bikes", "Kids bikes come in 16 and 20 inch wheel sizes.", "Which wheel sizes do kids bikes come in?",
     "16 and 20 inch"),
    ("Fitting", "A professional bike fitting session lasts 90 minutes.", "How long is a bike fitting session?", "90 minutes"),
    ("Returns", "Unused accessories can be returned within 30 days with the receipt.",
     "Within how many days can accessories be returned?", "30 days"),
]
OFF_TOPIC = ["Who won the football match last night?", "What is the capital of Australia?", "Can you recommend a pasta recipe?",
             "How do I file my income taxes?", "What is the weather in Oslo tomorrow?", "Who painted the Mona Lisa?",
             "How many moons does Jupiter have?", "What is the best smartphone this year?", "How do I learn the guitar?",
             "Which airline flies to Lima?", "What is the stock price of Apple?", "How tall is Mount Everest?"]


def bike_folder(root, *, answerable=len(FACTS), unanswerable=len(OFF_TOPIC)):
    """A bike shop's help pages (one fact each) and a questions.csv with the given number of each kind."""
    root.mkdir()
    for title, fact, _, _ in FACTS:
        (root / f"{title.lower().replace(' ', '-')}.md").write_text(f"# {title}\n\n{fact}\n")
    rows = [{"question": q, "answer": a, "source": f"{t.lower().replace(' ', '-')}.md", "count": 1}
            for t, _, q, a in FACTS[:answerable]]
    rows += [{"question": q, "answer": "", "source": "", "count": 1} for q in OFF_TOPIC[:unanswerable]]
    write_questions(root / "questions.csv", rows)
    return root


@pytest.fixture(scope="module")
def bikes(tmp_path_factory):
    project = capstone.open_project(bike_folder(tmp_path_factory.mktemp("calibration") / "bikes"))
    return project, capstone.build_pipeline(project.documents)


def test_a_gate_too_strict_for_this_folder_is_recalibrated_on_its_labels(bikes):
    project, pipeline = bikes
    shipped = default_gate()
    # a gate whose scores sit far lower on this folder than on the base it was trained on (as seen on a base written elsewhere)
    strict = Gate(**{**shipped.to_dict(), "intercept": shipped.intercept - 30.0})
    pipeline.gate = strict
    result = capstone.calibrate(project, pipeline, progress=False)
    assert result.status == "calibrated" and result.calibrated
    assert (result.answerable, result.unanswerable) == (12, 12)
    assert result.gate_before is strict and result.gate is not strict
    # the new cutoff is the gate's own rule applied to this folder's labels
    table = signal_table(pipeline, labelled_rows(project), strict.signals, progress=False)
    p = strict.probability(table)
    assert result.gate.cutoff == pytest.approx(choose_cutoff(table["answerable"], p))
    assert result.gate.coef == strict.coef  # method "cutoff" keeps the weights
    before, after = result.before[FALSE_REFUSALS], result.after[FALSE_REFUSALS]
    assert before.n == after.n == 12 and result.after[CAUGHT].n == 12
    assert before.k == int((p[table["answerable"].to_numpy(bool)] < strict.cutoff).sum()) >= 10
    assert after.rate < before.rate  # fewer answerable questions refused, measured out of fold
    shown = result.table()
    assert list(shown.index) == [FALSE_REFUSALS, CAUGHT]
    assert shown.loc[FALSE_REFUSALS, "refused before"] == before.rate
    assert shown.loc[FALSE_REFUSALS, "refused after (cross-validated)"] == after.rate
    assert 0 <= before.low <= before.rate <= before.high <= 1  # Wilson interval
    pipeline.gate = result.gate
    again = capstone.calibrate(project, pipeline, progress=False)  # rerunning a cell gives the same gate
    assert again.gate.cutoff == pytest.approx(result.gate.cutoff)
    pipeline.gate = default_gate()


def test_a_gate_that_already_fits_the_folder_is_kept(bikes):
    project, pipeline = bikes
    shipped = default_gate()
    table = signal_table(pipeline, labelled_rows(project), shipped.signals, progress=False)
    p, y = shipped.probability(table), table["answerable"].to_numpy(bool)
    assert p[~y].max() < p[y].min(), "the test folder should be separable by the shipped gate's score"
    pipeline.gate = fitting = shipped.at((p[~y].max() + p[y].min()) / 2)  # no mistake on these labels
    result = capstone.calibrate(project, pipeline, progress=False)
    assert result.status == "kept" and not result.calibrated and result.gate is fitting
    assert result.before[FALSE_REFUSALS].k == 0 and result.before[CAUGHT].k == 12  # nothing to gain: never worse
    pipeline.gate = default_gate()


def test_refitting_the_weights_is_cross_validated_too(bikes):
    project, pipeline = bikes
    pipeline.gate = Gate(**{**default_gate().to_dict(), "intercept": default_gate().intercept - 30.0})  # too strict
    result = capstone.calibrate(project, pipeline, method="weights", progress=False)
    pipeline.gate = default_gate()
    assert result.status == "calibrated" and result.gate.n_train == 24
    assert result.after[FALSE_REFUSALS].n == 12 and result.after[CAUGHT].n == 12
    with pytest.raises(InputError, match="method"):
        capstone.calibrate(project, pipeline, method="vibes")


def test_too_few_labels_leave_the_gate_uncalibrated_and_say_how_many_more(tmp_path):
    project = capstone.open_project(bike_folder(tmp_path / "bikes", answerable=7, unanswerable=3))
    pipeline = capstone.build_pipeline(project.documents)
    result = capstone.calibrate(project, pipeline, progress=False)
    assert result.status == "too few labels" and not result.calibrated and result.gate is pipeline.gate
    assert result.needed == {"answerable": 10, "unanswerable": 10, "more answerable": 3, "more unanswerable": 7}
    assert result.before[FALSE_REFUSALS].n == 7 and result.after == {}
    assert "UNCALIBRATED" in result.message


def test_no_questions_file_means_uncalibrated_with_the_labels_needed(tmp_path):
    root = bike_folder(tmp_path / "bikes")
    (root / "questions.csv").unlink()
    project = capstone.open_project(root)  # starter questions are not labels
    result = capstone.calibrate(project, capstone.build_pipeline(project.documents), progress=False)
    assert result.status == "no labels" and (result.answerable, result.unanswerable) == (0, 0)
    assert result.needed["more answerable"] == result.needed["more unanswerable"] == capstone.MIN_PER_CLASS
    assert "UNCALIBRATED" in result.message and str(2 * capstone.MIN_PER_CLASS) in result.message


def test_the_bundled_base_keeps_the_shipped_gate():
    project = bundled_project(sample_size=6, requests=10, seed=1)

    class Pipe:  # calibrate only reads the pipeline's gate before it decides there is nothing to do
        gate = default_gate()

    result = capstone.calibrate(project, Pipe(), progress=False)
    assert result.status == "bundled" and result.gate is Pipe.gate and np.isnan(result.table()["refused before"]).all()
