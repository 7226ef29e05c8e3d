"""Overfitting and underfitting on a slider: train vs held-out F1 of the ticket classifier at one setting of C.
A thin view over ai_pm_lab.framing.ml_engineers (the curve is computed once; the slider only reads it)."""
from __future__ import annotations

import html

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython import get_ipython
from IPython.display import display

from ai_pm_lab.framing.ml_engineers import complexity_curve, plot_complexity

VERDICTS = {
    "underfitting": "too simple: it is wrong even on tickets it has seen",
    "overfitting": "memorising: near perfect on tickets it has seen, far worse on new ones",
    "good fit": "it does about as well on new tickets as on the ones it learned from",
}


class FitExplorer:
    """Slide C (how closely the model may fit its training tickets) and read train F1, held-out F1, gap and diagnosis."""

    def __init__(self, curve=None):
        self.curve = complexity_curve() if curve is None else curve
        if len(self.curve) < 2:
            raise ValueError("FitExplorer needs a curve with at least two settings of C (from complexity_curve()).")
        values = [float(c) for c in self.curve["C"]]
        self.slider = W.SelectionSlider(options=[(f"{c:g}", c) for c in values], value=values[len(values) // 2],
                                        description="C", continuous_update=False, layout=W.Layout(width="480px"))
        self.readout = W.HTML()
        self.plot = W.Output()
        self.state: dict = {}
        self.slider.observe(lambda _: self.update(), names="value")
        self.update()

    def update(self) -> dict:
        """The row of the curve at the slider's C, with a plain-words verdict."""
        row = self.curve[self.curve["C"] == self.slider.value].iloc[0]
        self.state = {"C": float(row["C"]), "train F1": float(row["train F1"]), "held-out F1": float(row["held-out F1"]),
                      "gap": float(row["gap"]), "diagnosis": row["diagnosis"]}
        s = self.state
        self.readout.value = (f"C = {s['C']:g} · train F1 {s['train F1']:.2f} · held-out F1 {s['held-out F1']:.2f} · "
                              f"gap {s['gap']:.2f} → <b>{html.escape(s['diagnosis'])}</b>: {html.escape(VERDICTS[s['diagnosis']])}")
        if get_ipython() is None:  # headless (tests): the state is the result; there is no screen to draw on
            return self.state
        self.plot.clear_output(wait=True)
        with self.plot:
            fig, ax = plt.subplots(figsize=(6.5, 3))
            plot_complexity(self.curve, chosen=s["C"], ax=ax)
            plt.show()
        return self.state

    def _ipython_display_(self):
        display(W.VBox([self.slider, self.readout, self.plot]))
