"""Vector-search widget: approximate nearest-neighbour search (HNSW efSearch / IVF nprobe) vs exact, live."""
from __future__ import annotations

import ipywidgets as W
from IPython.display import display

from ai_pm_lab.widgets.base import error_message
from ai_pm_lab.rag.explore import ANNBench

SETTINGS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def ann_view(bench: ANNBench, kind: str, param: int) -> dict:
    """Plain data behind the widget: recall@k vs exact and ms/query for one index setting."""
    return bench.measure(kind, param)


class ANNExplorer:
    """Pick HNSW or IVF and slide efSearch / nprobe: recall@10 against exact search and milliseconds per query."""

    def __init__(self, bench: ANNBench | None = None, kind: str = "HNSW", param: int = 16):
        self.bench = bench if bench is not None else ANNBench.synthetic()
        self.kind = W.ToggleButtons(options=["HNSW", "IVF"], value=kind, description="index")
        self.param = W.SelectionSlider(options=list(SETTINGS), value=param, description="efSearch",
                                       continuous_update=False)
        self.readout = W.HTML()
        self.out = W.Output()
        self.state: dict = {}
        self.history: list = []
        self.kind.observe(lambda _: self.update(), names="value")
        self.param.observe(lambda _: self.update(), names="value")
        self.update()

    def update(self) -> dict:
        """Measure the current setting; errors are shown, never raised."""
        self.param.description = "efSearch" if self.kind.value == "HNSW" else "nprobe"
        try:
            self.state = {**ann_view(self.bench, self.kind.value, self.param.value), "error": None}
            self.history.append(self.state)
        except Exception as exc:  # a widget shows the problem instead of crashing
            self.state = {"error": error_message(exc)}
        self._draw()
        return self.state

    def _draw(self) -> None:
        s = self.state
        if s.get("error"):
            self.readout.value = f"<b>⚠️ {s['error']}</b>"
            return
        self.readout.value = (
            f"<b>{s['index']}</b> with {self.param.description} = {s['param']} on {s['vectors']:,} vectors: "
            f"<b>recall@{s['k']} = {s['recall@k']:.3f}</b> · <b>{s['ms/query']:.3f} ms/query</b> "
            f"(exact search {s['exact ms/query']:.3f} ms/query → {s['speed-up']:.1f}× faster)"
        )
        with self.out:
            import matplotlib.pyplot as plt

            self.out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(6.5, 3.5))
            for kind, marker in (("HNSW", "o"), ("IVF", "s")):
                pts = sorted({(h["param"], h["ms/query"], h["recall@k"]) for h in self.history if h.get("index") == kind})
                if pts:
                    ax.plot([p[1] for p in pts], [p[2] for p in pts], marker=marker, label=kind)
                    for p in pts:
                        ax.annotate(str(p[0]), (p[1], p[2]), fontsize=7, xytext=(3, -9), textcoords="offset points")
            ax.axvline(s["exact ms/query"], color="grey", ls="--", label="exact search")
            ax.set_xscale("log")
            ax.set_xlabel("milliseconds per query (log scale)")
            ax.set_ylabel(f"recall@{s['k']} vs exact")
            ax.set_ylim(0, 1.02)
            ax.legend(fontsize=8)
            ax.set_title("Every setting you try lands on this chart")
            plt.show()

    def _ipython_display_(self):
        display(W.VBox([self.kind, self.param, self.readout, self.out]))
