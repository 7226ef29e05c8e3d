"""Success criteria kept between weeks: week 7's learner writes them, week 8's launch gate reads them back.

``save_criteria(criteria, name="capstone")`` writes ``criteria_<name>.json`` in ``settings.output_dir()``;
``load_criteria(name="capstone")`` reads it back as ``SuccessCriteria`` (``None`` when nothing was saved). A file that
is not valid JSON, or was edited by hand into criteria the canvas would refuse, gives an InputError naming the file and
saying how to fix it.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from ai_pm_lab.datafiles import write_text_atomic
from ai_pm_lab.errors import CanvasError, InputError, InputTypeError, require_text
from ai_pm_lab.framing.canvas import SuccessCriteria, criterion_from_dict
from ai_pm_lab.settings import OUTPUT_DIR_VAR, env, output_dir

# Lessons and the learner's exercises run in sibling folders; solutions/ (the worked answers) is left out, so a run of
# the solution notebook never stands in for the learner's own criteria.
COURSE_FOLDERS = ("notebooks", "exercises")
FORMAT = "ai_pm_lab.success_criteria"
VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$")


def _checked_name(name) -> str:
    require_text(name, "name")
    if not _NAME.match(name):
        raise InputError(f"name={name!r}: use letters, digits, '-' or '_' only (e.g. 'capstone'); it becomes part of a "
                         "file name.")
    return name


def criteria_path(name: str = "capstone") -> Path:
    """Where ``save_criteria(..., name)`` writes: output_dir()/criteria_<name>.json."""
    return output_dir() / f"criteria_{_checked_name(name)}.json"


def save_criteria(criteria: SuccessCriteria, name: str = "capstone") -> Path:
    """Save validated success criteria and guardrails as JSON (overwrites an earlier save of the same name)."""
    path = criteria_path(name)
    if not isinstance(criteria, SuccessCriteria):
        raise InputTypeError(f"save_criteria needs SuccessCriteria([...]) of success(...) and guardrail(...) lines, not "
                             f"{type(criteria).__name__}.")
    criteria.validate()  # CanvasError listing every fix: nothing is saved that the gate could not judge
    data = {"format": FORMAT, "version": VERSION, "name": name, "criteria": [c.row() for c in criteria]}
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")  # week 8 may read it meanwhile
    return path


def _saved_file(name: str) -> Path | None:
    """The file load_criteria reads: output_dir()'s own, else (when AI_PM_LAB_OUTPUT_DIR is not set, so each folder
    keeps its own outputs/) the newest one in a sibling course folder's outputs/ (week 7's exercises run in exercises/,
    week 8's lesson in notebooks/)."""
    path = criteria_path(name)
    if path.exists() or env(OUTPUT_DIR_VAR):
        return path if path.exists() else None
    here = path.parent.parent
    if here.name not in (*COURSE_FOLDERS, "solutions"):
        return None
    found = [f for f in (here.parent / d / "outputs" / path.name for d in COURSE_FOLDERS) if f.exists()]
    return max(found, key=lambda f: f.stat().st_mtime) if found else None


def load_criteria(name: str = "capstone") -> SuccessCriteria | None:
    """The criteria saved under ``name``, or None when none were saved; InputError for a broken or hand-edited file.
    The loaded criteria carry ``.source``, the file they came from."""
    criteria_path(name)  # checks the name
    path = _saved_file(name)
    if path is None:
        return None
    fix = (f"Run framing.save_criteria(criteria, name={name!r}) again (week 7's exercises) to rewrite it, or delete "
           f"{path.name} to start over.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name} (in {path.parent}) is not readable JSON ({exc}). {fix}") from None
    rows = data.get("criteria") if isinstance(data, Mapping) else None
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise InputError(f"{path.name} (in {path.parent}) has no list of criteria (each an object with metric, baseline, "
                         f"target, direction, kind). {fix}")
    try:
        criteria = SuccessCriteria([criterion_from_dict(r) for r in rows]).validate()
    except CanvasError as exc:
        raise InputError(f"{path.name} (in {path.parent}) holds criteria the gate cannot judge:\n"
                         + "\n".join(f"  - {p}" for p in exc.problems) + f"\n{fix}") from None
    except (InputError, InputTypeError) as exc:
        raise InputError(f"{path.name} (in {path.parent}): {exc} {fix}") from None
    criteria.source = path
    return criteria
