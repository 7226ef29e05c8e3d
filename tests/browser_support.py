"""What every real-browser test shares: the browser tool, whether Chromium is here, and the skip marks that say how
to install what is missing (a missing Chromium fails instead where `make browser-deps` installs it: root on Debian)."""
from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from conftest import ROOT, root_on_debian

sys.path.insert(0, str(ROOT / "tools"))
import browser_check  # noqa: E402

HAVE_CHROMIUM = os.access(browser_check.CHROMIUM, os.X_OK)
BROWSER_MARKS = [
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="playwright is not installed: .venv/bin/pip install -r requirements.txt (it pins playwright)"),
    pytest.mark.skipif(not HAVE_CHROMIUM and not root_on_debian(),
                       reason=f"{browser_check.CHROMIUM} is missing: {browser_check.INSTALL_HINT}"),
]
