"""The notebook kernel the course runs in, if any: the one place that looks it up."""
from __future__ import annotations

import sys


def running_shell():
    """The IPython shell running this code (a notebook kernel), or None outside one; never imports IPython itself."""
    ipython = sys.modules.get("IPython")  # only a running IPython has imported it
    return ipython.get_ipython() if ipython is not None else None
