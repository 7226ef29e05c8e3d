"""Vector-search widget: approximate nearest-neighbour search (HNSW efSearch / IVF nprobe) vs exact, live."""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from ai_pm_lab.rag.explore import ANNBench
from ai_pm_lab.widgets.base import CourseWidget, error_html

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
