"""The progress-bar rule (docs/architecture.md): one home, and a bounded number of redraws however slow the work."""
from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest

from ai_pm_lab import progress

PACKAGE = Path(progress.__file__).parent


def test_only_the_progress_module_imports_tqdm():
    users = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
             if "tqdm" in p.read_text(encoding="utf-8") and p != Path(progress.__file__)]
    assert users == [], f"use ai_pm_lab.progress.bar instead of tqdm in {users}"


@pytest.fixture
def slow_clock(monkeypatch):
    """tqdm's clock, advanced a whole second per reading: every item looks slow, so time never limits a redraw."""
    ticks = itertools.count()
    monkeypatch.setattr("tqdm.std.time", lambda: float(next(ticks)))


def _redraws(out: io.StringIO) -> int:
    return out.getvalue().count("\r")


@pytest.mark.parametrize("total", [7, 100, 5_000])
def test_a_bar_redraws_at_most_max_redraws_times(slow_clock, total, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "tqdm", lambda *a, **kw: _std(*a, file=out, **kw))
    for _ in progress.bar(range(total)):
        pass
    assert _redraws(out) <= progress.MAX_REDRAWS + 3  # the first draw, the last and the close


def test_a_manual_bar_redraws_at_most_max_redraws_times(slow_clock, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "tqdm", lambda *a, **kw: _std(*a, file=out, **kw))
    with progress.bar(total=5_000) as b:
        for _ in range(5_000):
            b.update(1)
    assert _redraws(out) <= progress.MAX_REDRAWS + 3


def test_plain_tqdm_would_redraw_every_item_on_the_same_clock(slow_clock):
    """The check above can fail: tqdm's own defaults redraw on every slow item."""
    out = io.StringIO()
    for _ in _std(range(5_000), file=out):
        pass
    assert _redraws(out) > 1_000


def _std(*args, **kwargs):
    from tqdm.std import tqdm

    return tqdm(*args, **kwargs)
