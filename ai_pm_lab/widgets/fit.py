"""Overfitting and underfitting on a slider: train vs held-out F1 of the ticket classifier at one setting of C.
A thin view over ai_pm_lab.framing.ml_engineers (the curve is computed once; the slider only reads it with fit_at)."""
from __future__ import annotations

import html

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython import get_ipython
from IPython.display import display

from ai_pm_lab.errors import InputError
from ai_pm_lab.framing.ml_engineers import complexity_curve, fit_at, plot_complexity
from ai_pm_lab.widgets.base import CourseWidget, error_html


class FitExplorer(CourseWidget):
    """Slide C (how closely the model may fit its training tickets) and read train F1, held-out F1, gap and diagnosis."""

    def __init__(self, curve=None):
        super().__init__()
        self.curve = complexity_curve() if curve is None else curve
        if len(self.curve) < 2:
            raise InputError("FitExplorer needs a curve with at least two settings of C (from complexity_curve()).")
        values = [float(c) for c in self.curve["C"]]
        self.slider = W.SelectionSlider(options=[(f"{c:g}", c) for c in values], value=values[len(values) // 2],
                                        description="C", continuous_update=False, layout=W.Layout(width="480px"))
        self.readout = W.HTML()
        self.plot = W.Output()
        self.slider.observe(lambda _: self.update(), names="value")
        self.update()

    def update(self) -> dict:
        """The curve read at the slider's C (fit_at), with its diagnosis in plain words."""
        self.state = s = self.attempt(fit_at, self.curve, self.slider.value)
        if s["error"]:
            self.readout.value = error_html(s["error"])
            self.plot.clear_output()
            return s
        self.readout.value = (f"C = {s['C']:g} · train F1 {s['train F1']:.2f} · held-out F1 {s['held-out F1']:.2f} · "
                              f"gap {s['gap']:.2f} → <b>{html.escape(s['diagnosis'])}</b>: {html.escape(s['meaning'])}")
        if get_ipython() is None:  # headless (tests): the state is the result; there is no screen to draw on
            return s
        self.plot.clear_output(wait=True)
        with self.plot:
            fig, ax = plt.subplots(figsize=(6.5, 3))
            plot_complexity(self.curve, chosen=s["C"], ax=ax)
            plt.show()
        return s

    def _ipython_display_(self):
        display(W.VBox([self.slider, self.readout, self.plot]))
