"""Progress bars: the one home of how the course shows long work (tqdm; in a notebook, a widget).

Every redraw of a notebook bar is a message from the kernel to the browser. A bar that redraws ten times a second
for a long cell floods the kernel's output channel: JupyterLab lags, and a test runner that reads the channel only
after the cell (nbval) can lose the kernel's final "idle" message once the channel's queue is full. So a bar here
redraws at most ``MAX_REDRAWS`` times over its whole run, and at most once per ``MIN_SECONDS``, however long the
work takes or however slow the machine."""
from __future__ import annotations

import math

from tqdm.auto import tqdm

MAX_REDRAWS = 50
MIN_SECONDS = 0.5


def bar(iterable=None, *, total: int | None = None, desc: str | None = None, unit: str = "it",
        disable: bool = False, leave: bool = True) -> tqdm:
    """A tqdm progress bar that redraws at most about ``MAX_REDRAWS`` times (see the module docstring)."""
    if total is None and iterable is not None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    miniters = max(1, math.ceil(total / MAX_REDRAWS)) if total else 1
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, leave=leave,
                miniters=miniters, mininterval=MIN_SECONDS)
