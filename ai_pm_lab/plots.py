"""Small plotting helpers shared by the lessons and widgets: token bars, one annotated heatmap, and charts everyone can
read (alt text from each chart's own labels, a colour-blind-safe palette)."""
from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure

from ai_pm_lab.errors import InputError
from ai_pm_lab.shell import running_shell


def show_token_bars(df, title: str = "", ax=None):
    """Horizontal bar chart of a top-k token table (token, probability)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * len(df) + 1))
    labels = [repr(t) for t in df["token"]]
    ax.barh(labels[::-1], df["probability"].to_numpy()[::-1], color="#4C72B0")
    for i, p in enumerate(df["probability"].to_numpy()[::-1]):
        ax.text(p, i, f" {p:.1%}", va="center", fontsize=9)
    ax.set_xlabel("probability of being the next token")
    ax.set_xlim(0, min(1.0, float(df["probability"].max()) * 1.25 + 0.02))
    ax.set_title(title)
    return ax


def annotated_heatmap(values, row_labels: Sequence[str], col_labels: Sequence[str], *,
                      cell_text: Callable[[int, int, float], str] | None = None, cmap: str = "viridis",
                      vmin: float = 0.0, vmax: float = 1.0, colorbar_label: str = "", title: str = "",
                      xlabel: str | None = None, ylabel: str | None = None, ax=None, figsize=(6, 3),
                      xtick_rotation: float = 0, tick_fontsize: float | None = None, fontsize: float = 9,
                      text_color: Callable[[float], str] | None = None, colorbar_fraction: float = 0.15):
    """A grid of coloured cells with a label in each (the value as a percentage unless ``cell_text`` says otherwise).

    Used for similarity matrices, hallucination rates and needle accuracy; an empty cell (NaN) is left blank and
    labelled "no data", never drawn as a number. Returns the Axes (its figure is ``ax.figure``)."""
    data = np.asarray(values, dtype=float)
    if data.ndim != 2 or data.size == 0:
        raise InputError(f"values must be a non-empty 2-D table, got shape {data.shape}.")
    if data.shape != (len(row_labels), len(col_labels)):
        raise InputError(f"values has shape {data.shape} but there are {len(row_labels)} row and {len(col_labels)} column labels.")
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(col_labels)))
    ax.set_xticklabels(list(col_labels), rotation=xtick_rotation, ha="right" if xtick_rotation >= 30 else "center",
                       fontsize=tick_fontsize)
    ax.set_yticks(range(len(row_labels)))
    ax.set_yticklabels(list(row_labels), fontsize=tick_fontsize)
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            if math.isnan(v):
                label, color = "no data", "grey"
            else:
                label = cell_text(i, j, v) if cell_text is not None else f"{v:.0%}"
                color = text_color(v) if text_color is not None else "black"
            ax.text(j, i, label, ha="center", va="center", fontsize=fontsize, color=color)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.figure.colorbar(im, ax=ax, fraction=colorbar_fraction, label=colorbar_label)
    ax.set_title(title)
    return ax


# -- charts everyone can read -------------------------------------------------------------------------------------------
# Okabe & Ito's palette (2008), designed to stay distinct for the common kinds of colour-blindness; the course's
# charts cycle through it (tests/test_accessibility.py simulates colour-vision deficiency on it).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")


def alt_text(fig) -> str:
    """A chart's text equivalent, from its own titles and axis labels (what a screen reader says for it)."""
    parts = []
    if fig.get_suptitle().strip():
        parts.append(fig.get_suptitle().strip())
    for ax in fig.axes:
        if not ax.get_visible() or not ax.has_data() and not ax.get_title():
            continue
        bits = [ax.get_title().strip()]
        if ax.get_xlabel().strip():
            bits.append(f"horizontal axis: {ax.get_xlabel().strip()}")
        if ax.get_ylabel().strip():
            bits.append(f"vertical axis: {ax.get_ylabel().strip()}")
        legend = ax.get_legend()
        if legend is not None:
            names = [t.get_text() for t in legend.get_texts() if t.get_text().strip()]
            if names:
                bits.append("series: " + ", ".join(names))
        parts.append("; ".join(b for b in bits if b))
    text = ". ".join(p for p in parts if p)
    return f"Chart: {text}" if text else "Chart"


def figure_html(fig) -> str:
    """A figure as an <img> with alt text: JupyterLab and the website show this rather than a bare image."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=fig.dpi)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt_text(fig), quote=True)}"/>'


INLINE_BACKENDS = ("inline", "module://matplotlib_inline.backend_inline")


def _keep_alt_text(*_) -> None:
    """Before each cell: register ``figure_html`` again if something dropped it (``%matplotlib inline`` and
    ``%config InlineBackend.figure_formats`` reset every figure formatter, the HTML one included)."""
    shell = running_shell()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(Figure, figure_html)


def use_accessible_charts(on: bool = True) -> bool:
    """In a notebook kernel, show every matplotlib figure with alt text (``figure_html``) and cycle the colour-blind-safe
    ``PALETTE``; False outside IPython."""
    plt.rcParams["axes.prop_cycle"] = cycler(color=list(PALETTE))
    shell = running_shell()
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters["text/html"]
    if on:
        # The kernel's inline backend loads with the first figure and then drops every figure formatter it did not set:
        # load it now (a no-op under any other backend), so the alt-text formatter registered below stays.
        import matplotlib
        if matplotlib.get_backend(auto_select=False) in INLINE_BACKENDS:
            import matplotlib_inline.backend_inline  # noqa: F401
        formatter.for_type(Figure, figure_html)
        if _keep_alt_text not in shell.events.callbacks["pre_run_cell"]:
            shell.events.register("pre_run_cell", _keep_alt_text)
    else:
        formatter.pop(Figure, None)
        if _keep_alt_text in shell.events.callbacks["pre_run_cell"]:
            shell.events.unregister("pre_run_cell", _keep_alt_text)
    return True
