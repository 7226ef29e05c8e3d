"""The week-8 lesson run as a learner runs it on their own folder: a folder the test writes in four formats,
with a questions.csv its documents cannot answer (so the launch gate says NO GO whatever the model writes) and no
additions/ folder. The lesson must end without an error and write the memo and deck, with the rollout stopped (the
canary a rehearsal), the improvement loop "not run yet" and the gate marked uncalibrated. Runs the local model."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from ai_pm_lab.capstone.samples import write_document, write_questions

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "week08_capstone.ipynb"

DOCUMENTS = [
    {"file": "opening-hours.md", "paragraphs": ["# Opening hours", "Updated: 2025-03-01",
                                                "The studio is open from 10 am to 4 pm on weekdays."]},
    {"file": "classes.html", "title": "Pottery classes",
     "paragraphs": ["# Pottery classes", "Beginner classes run on Tuesday evenings for six weeks."]},
    {"file": "clay-care.pdf", "title": "Clay care",
     "paragraphs": ["Clay care", "Keep unused clay wrapped in plastic so it stays soft."]},
    {"file": "kiln-rules.docx", "paragraphs": ["# Kiln rules", "Only staff may load and unload the kiln."]},
]
# Answers no document holds: neither the assistant nor the keyword search can get one right, so the gate is NO GO.
QUESTIONS = [
    {"question": "Which glaze colour is named after the founder?", "answer": "Quillon teal", "source": "", "count": 2},
    {"question": "What is the wifi password in the studio?", "answer": "zebra-kiln-42", "source": "", "count": 2},
    {"question": "Who is the studio's patron saint of wheels?", "answer": "Saint Orvalle", "source": "", "count": 2},
    {"question": "What is the parking code for members?", "answer": "7319-Q", "source": "", "count": 2},
]


def no_go_folder(root: Path) -> Path:
    root.mkdir(parents=True)
    for entry in DOCUMENTS:
        write_document(root, entry)
    write_questions(root / "questions.csv", QUESTIONS)
    return root


def test_the_week8_lesson_runs_on_a_no_go_folder_without_additions(tmp_path, monkeypatch):
    folder = no_go_folder(tmp_path / "pottery-studio")
    out = tmp_path / "outputs"
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(out))  # the kernel inherits this process's environment
    monkeypatch.setenv("AI_PM_LAB_THREADS", "1")
    nb = nbformat.read(LESSON, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "MY_FOLDER = None" in params[0].source, "the lesson's MY_FOLDER setting moved"
    params[0].source = params[0].source.replace("MY_FOLDER = None", f"MY_FOLDER = {str(folder)!r}")
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors

    capstone_out = out / "capstone"
    memo, deck = capstone_out / "launch_memo.md", capstone_out / "launch_deck.slides.html"
    assert memo.is_file() and deck.is_file() and deck.stat().st_size > 1000
    text = memo.read_text(encoding="utf-8")
    assert "eval gate: NO GO" in text and "Recommendation: not written yet" in text and "Your folder: pottery-studio" in text
    assert "Rollout: stopped" in text and "Canary rehearsal" in text and "rehearsal only, no rollout" in text
    assert "Not run yet" in text and "additions/" in text
    assert "UNCALIBRATED" in text  # 4 answerable, 0 unanswerable labels: fewer than calibration needs
    shown = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")
    assert "not run yet" in shown and "UNCALIBRATED" in shown
