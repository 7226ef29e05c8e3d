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

from ai_pm_lab.errors import CanvasError, InputError, InputTypeError, require_text
from ai_pm_lab.framing.canvas import SuccessCriteria, criterion_from_dict
from ai_pm_lab.settings import output_dir

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
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_criteria(name: str = "capstone") -> SuccessCriteria | None:
    """The criteria saved under ``name``, or None when none were saved; InputError for a broken or hand-edited file."""
    path = criteria_path(name)
    if not path.exists():
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
    return criteria
