"""Vector-search widgets: approximate nearest-neighbour search (HNSW efSearch / IVF nprobe) vs exact, live; and the\nno-code paths of week 3's first exercises (the pieces of cosine similarity; every row ranked by similarity)."""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from ai_pm_lab.errors import InputError, require_number
from ai_pm_lab.rag.explore import ANNBench
from ai_pm_lab.widgets.base import CourseWidget, error_html, table_html

SETTINGS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def ann_view(bench: ANNBench, kind: str, param: int) -> dict:
    """Plain data behind the widget: recall@k vs exact and ms/query for one index setting."""
    return bench.measure(kind, param)


class ANNExplorer(CourseWidget):
    """Pick HNSW or IVF and slide efSearch / nprobe: recall@10 against exact search and milliseconds per query."""

    def __init__(self, bench: ANNBench | None = None, kind: str = "HNSW", param: int = 16):
        super().__init__()
        self.bench = bench if bench is not None else ANNBench.synthetic()
        self.kind = W.ToggleButtons(options=["HNSW", "IVF"], value=kind, description="index")
        self.param = W.SelectionSlider(options=list(SETTINGS), value=param, description="efSearch",
                                       continuous_update=False)
        self.readout = W.HTML()
        self.out = W.Output()
        self.history: list = []
        self.kind.observe(lambda _: self.update(), names="value")
        self.param.observe(lambda _: self.update(), names="value")
        self.update()

    def update(self) -> dict:
        """Measure the current setting; errors are shown, never raised."""
        self.param.description = "efSearch" if self.kind.value == "HNSW" else "nprobe"
        self.state = self.attempt(ann_view, self.bench, self.kind.value, self.param.value)
        if not self.state["error"]:
            self.history.append(self.state)
        self._draw()
        return self.state

    def _draw(self) -> None:
        s = self.state
        if s.get("error"):
            self.readout.value = error_html(s["error"])
            return
        self.readout.value = (
            f"<b>{s['index']}</b> with {self.param.description} = {s['param']} on {s['vectors']:,} vectors: "
            f"<b>recall@{s['k']} = {s['recall@k']:.3f}</b> · <b>{s['ms/query']:.3f} ms/query</b> "
            f"(exact search {s['exact ms/query']:.3f} ms/query → {s['speed-up']:.1f}× faster)"
        )
        with self.out:
            self.out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(6.5, 3.5))
            recalls = []
            for kind, marker in (("HNSW", "o"), ("IVF", "s")):
                # one point per setting: trying a setting again replaces its point (no stacked duplicate labels)
                latest = {h["param"]: h for h in self.history if h.get("index") == kind}
                pts = sorted((p, h["ms/query"], h["recall@k"]) for p, h in latest.items())
                if pts:
                    ax.plot([p[1] for p in pts], [p[2] for p in pts], marker=marker, label=kind)
                    for p in pts:
                        ax.annotate(str(p[0]), (p[1], p[2]), fontsize=7, xytext=(3, -9), textcoords="offset points")
                    recalls += [p[2] for p in pts]
            ax.axvline(s["exact ms/query"], color="grey", ls="--", label="exact search")
            ax.set_xscale("log")
            ax.set_xlabel("milliseconds per query (log scale)")
            ax.set_ylabel(f"recall@{s['k']} vs exact")
            # zoom on the points tried (the differences that matter are often a few points near 1.0)
            low = min(recalls, default=0.0)
            ax.set_ylim(max(0.0, low - max(0.02, (1.0 - low) * 0.15)), 1.005)
            ax.legend(fontsize=8)
            ax.set_title("Every setting you try lands on this chart")
            plt.show()

    def _ipython_display_(self):
        display(W.VBox([self.kind, self.param, self.readout, self.out]))


# --------------------------------------------------------------------------- no-code paths for exercises 3.1 and 3.2
def cosine_pieces(a, b, show: int = 5) -> dict:
    """Plain data behind :class:`CosinePieces`: the first ``show`` of the pairwise products a[i] × b[i], and the
    three numbers cosine similarity is made of (the dot product, the length of a, the length of b)."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.size == 0 or a.shape != b.shape:
        raise InputError(f"a and b must be two vectors of the same length (got {a.size} and {b.size} numbers).")
    show = int(require_number(show, "show", low=1, integer=True))
    products = pd.DataFrame({"position": range(1, min(show, a.size) + 1), "a": a[:show], "b": b[:show],
                             "a × b": (a * b)[:show]})
    return {"products": products, "numbers": a.size, "dot product": float(a @ b),
            "length of a": float(np.sqrt(a @ a)), "length of b": float(np.sqrt(b @ b))}


class CosinePieces(CourseWidget):
    """The pieces of cosine similarity, read off instead of coded: slide to see more of the pairwise products."""

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b
        self.show = W.IntSlider(value=5, min=1, max=20, description="products shown", continuous_update=False,
                                style={"description_width": "initial"})
        self.out = W.HTML()
        self.show.observe(lambda _: self.update(), names="value")
        self.update()

    def update(self) -> dict:
        """Recompute for the current slider value; errors are shown, never raised."""
        self.state = self.attempt(cosine_pieces, self.a, self.b, self.show.value)
        s = self.state
        if s.get("error"):
            self.out.value = error_html(s["error"])
            return s
        self.out.value = (
            f"{table_html(s['products'].round(4))}<p>… and so on for all {s['numbers']} positions.</p>"
            f"<p><b>dot product</b> (all {s['numbers']} products added up) = {s['dot product']:.4f}<br>"
            f"<b>length of a</b> = {s['length of a']:.4f} · <b>length of b</b> = {s['length of b']:.4f}</p>"
            "<p>Cosine similarity = dot product ÷ (length of a × length of b): work it out on a calculator.</p>")
        return s

    def _ipython_display_(self):
        display(W.VBox([self.show, self.out]))


def ranked_rows(query, vectors, chunks, order: str = "row number") -> pd.DataFrame:
    """Plain data behind :class:`RowRanker`: every row's similarity with ``query`` and its document, in row order or
    best first (``order``: "row number" or "similarity")."""
    v, q = np.asarray(vectors, dtype=float), np.asarray(query, dtype=float).ravel()
    if v.ndim != 2 or v.shape[1] != q.size or len(chunks) != v.shape[0]:
        raise InputError("vectors must have one row per chunk, each as long as the query vector.")
    if order not in ORDERS:
        raise InputError(f"order must be one of {', '.join(map(repr, ORDERS))}, not {order!r}.")
    table = pd.DataFrame({"row": range(len(chunks)), "document": [c.title for c in chunks], "similarity": v @ q})
    if order == "similarity":
        table = table.sort_values("similarity", ascending=False, kind="stable").reset_index(drop=True)
    return table


ORDERS = ("row number", "similarity")


class RowRanker(CourseWidget):
    """Every chunk's similarity with a question, in row order or best first: the top 3 read off without code."""

    def __init__(self, query, vectors, chunks):
        super().__init__()
        self.query, self.vectors, self.chunks = query, vectors, chunks
        self.order = W.ToggleButtons(options=list(ORDERS), value=ORDERS[0], description="order by")
        self.out = W.HTML()
        self.order.observe(lambda _: self.update(), names="value")
        self.update()

    def update(self) -> dict:
        """Re-order the table; errors are shown, never raised."""
        self.state = self.attempt(lambda: {"table": ranked_rows(self.query, self.vectors, self.chunks,
                                                                self.order.value)})
        if self.state.get("error"):
            self.out.value = error_html(self.state["error"])
        else:
            shown = self.state["table"].assign(similarity=lambda d: d["similarity"].round(3))
            self.out.value = f'<div style="max-height: 320px; overflow-y: auto">{table_html(shown)}</div>'
        return self.state

    def _ipython_display_(self):
        display(W.VBox([self.order, self.out]))
