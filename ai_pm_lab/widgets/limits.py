"""Widgets for the limits experiments: the hallucination explorer and the context-limit explorer (thin views over ai_pm_lab.limits)."""
from __future__ import annotations

import html

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from ai_pm_lab.errors import require_number
from ai_pm_lab.limits import context, hallucination
from ai_pm_lab.tables import format_rate
from ai_pm_lab.widgets.base import CourseWidget, action_style, error_html, table_html


class HallucinationExplorer(CourseWidget):
    """Pick a question and a mode, ask the model, read the verdict; run the whole grid for measured rates."""

    def __init__(self, question_id: str = "future-1", mode: str = "no context", n: int = 3, backend=None):
        super().__init__()
        require_number(n, "n", low=1, high=12, integer=True)
        options = [(f"[{q['kind']}] {q['question']}", q["id"]) for q in hallucination.questions()]
        self.question = W.Dropdown(options=options, value=hallucination.question(question_id)["id"], description="Question",
                                   layout=W.Layout(width="95%"))
        wide = max(len(m) for m in hallucination.MODES)  # every mode's name readable on its button
        self.mode = W.ToggleButtons(options=list(hallucination.MODES), value=hallucination.check_mode(mode), description="Mode",
                                    style={"button_width": f"{wide * 0.6 + 2:.0f}em"})
        self.temperature = W.FloatSlider(value=0.7, min=0.0, max=1.5, step=0.1, description="temperature",
                                         style={"description_width": "initial"})
        self.seed = W.IntText(value=0, description="seed")
        self.ask_button = W.Button(description="Ask", style=action_style())
        self.n = W.IntSlider(value=n, min=1, max=12, description="N per cell", style={"description_width": "initial"})
        self.grid_button = W.Button(description="Run the grid", style=action_style(caution=True), layout=W.Layout(width="auto"))
        self.plan = W.HTML()
        self.out = W.Output()
        self.grid_out = W.Output()
        self.backend = backend
        self._asked_with = None
        self.ask_button.on_click(lambda _: self.ask())
        self.grid_button.on_click(lambda _: self.run_grid())
        for control in (self.question, self.mode, self.temperature, self.seed, self.n):
            control.observe(lambda _: self._show_plan(), names="value")
        self._show_plan()

    def _settings(self) -> tuple:
        return (self.question.value, self.mode.value, self.temperature.value, self.seed.value)

    def _show_plan(self) -> None:
        """What each button will do with the current settings (every control changes this line), and whether the
        answer on screen is for other settings."""
        q = hallucination.question(self.question.value)
        calls = len(hallucination.KINDS) * len(hallucination.MODES) * self.n.value
        stale = self._asked_with is not None and self._asked_with != self._settings()
        self.plan.value = (
            f"<b>Ask</b>: one model call, the [{q['kind']}] question “{html.escape(q['question'])}” in mode "
            f"<i>{self.mode.value}</i> at temperature "
            f"{self.temperature.value:.1f}, seed {self.seed.value}"
            + (" <b>(the answer below is for earlier settings)</b>" if stale else "")
            + f"<br><b>Run the grid</b>: {len(hallucination.KINDS)} kinds × {len(hallucination.MODES)} modes × "
              f"N={self.n.value} = {calls} model calls at temperature {self.temperature.value:.1f}")

    def ask(self) -> dict:
        """Ask the chosen question in the chosen mode; the verdict follows the stated rule."""
        self.state = self.attempt(hallucination.ask_question, self.question.value, self.mode.value,
                                  temperature=self.temperature.value, seed=self.seed.value, backend=self.backend)
        with self.out:
            self.out.clear_output(wait=True)
            if self.state["error"]:
                print("⚠️", self.state["error"])
            else:
                icon = {"grounded": "✅", "refused": "🤷", "hallucinated": "❌"}[self.state["verdict"]]
                print(f"Q: {self.state['question']}\nA: {self.state['answer']}\n\n{icon} verdict: {self.state['verdict']}")
                print(f"rule: {hallucination.VERDICT_RULE}\n{self.state['receipt']}")
        self._asked_with = None if self.state["error"] else self._settings()
        self._show_plan()
        return self.state

    def run_grid(self) -> dict:
        """N samples per question-kind x mode cell; the measured hallucination rate of each cell."""
        def grid_and_rates():
            grid = hallucination.run_grid(self.n.value, temperature=self.temperature.value, backend=self.backend)
            return {"grid": grid, "rates": hallucination.rates(grid)}

        self.grid_button.disabled, self.grid_button.description = True, "Running the grid…"
        try:
            with self.grid_out:  # the harness's progress bar shows inside the widget while the grid runs
                self.grid_out.clear_output()
                self.state = self.attempt(grid_and_rates)
        finally:
            self.grid_button.disabled, self.grid_button.description = False, "Run the grid"
        with self.grid_out:
            self.grid_out.clear_output(wait=True)
            if self.state["error"]:
                print("⚠️", self.state["error"])
            else:
                hallucination.plot_rates(self.state["grid"])
                plt.show()
        return self.state

    def _ipython_display_(self):
        display(W.VBox([self.question, self.mode, W.HBox([self.temperature, self.seed, self.ask_button]), self.plan,
                        self.out, W.HBox([self.n, self.grid_button]), self.grid_out]))


class ContextLimitExplorer(CourseWidget):
    """Count tokens, compare windows, slide a document past the local window and pick a strategy to fit it."""

    def __init__(self, doc_tokens: int = 1200, strategy: str = "send everything", budget_tokens: int = 500, backend=None):
        super().__init__()
        require_number(doc_tokens, "doc_tokens", low=100, high=4000, integer=True)
        require_number(budget_tokens, "budget_tokens", low=100, high=1800, integer=True)
        self.backend = backend
        self.text = W.Textarea(value="Paste any text here to count its tokens.", description="Text",
                               layout=W.Layout(width="95%", height="80px"))
        self.count_label = W.HTML()
        self.doc_tokens = W.IntSlider(value=doc_tokens, min=100, max=4000, step=100, description="doc tokens",
                                      continuous_update=False)
        self.fit_label = W.HTML()
        self.strategy = W.Dropdown(options=list(context.STRATEGIES), value=context.check_strategy(strategy), description="Strategy")
        self.budget = W.IntSlider(value=budget_tokens, min=100, max=1800, step=50, description="budget",
                                  continuous_update=False)
        self.send_button = W.Button(description="Send to the model", style=action_style(), layout=W.Layout(width="auto"))
        self.strategy_note = W.HTML()
        self.out = W.Output()
        windows = context.model_windows(backend)[["display_name", "window_tokens", "words_approx", "note"]]
        windows = windows.assign(window_tokens=windows["window_tokens"].map("{:,}".format),
                                 words_approx=windows["words_approx"].map("~{:,}".format))
        self.windows_html = W.HTML(table_html(windows))
        self.text.observe(lambda _: self.count(), names="value")
        self.doc_tokens.observe(lambda _: self.measure(), names="value")
        for control in (self.strategy, self.budget):
            control.observe(lambda _: self._show_strategy(), names="value")
        self.send_button.on_click(lambda _: self.send())
        self.count()
        self.measure()

    def _show_strategy(self) -> None:
        """What the chosen strategy will send. The budget only applies to strategies that shrink the document, so
        it is greyed out under "send everything"."""
        everything = self.strategy.value == "send everything"
        self.budget.disabled = everything
        d = self.state.get("document") or {}
        size = f"{d['tokens']:,}" if d.get("tokens") else "its"
        plan = (f"sends all {size} tokens of the document (the budget does not apply)" if everything
                else f"keeps at most {self.budget.value:,} of the document's {size} tokens")
        self.strategy_note.value = f"<i>{self.strategy.value}</i>: {context.STRATEGIES[self.strategy.value]}; {plan}."

    def count(self) -> dict:
        """Tokens of the text box on the active model's tokenizer."""
        c = self.state["count"] = self.attempt(context.token_report, self.text.value, self.backend)
        if c["error"]:
            self.count_label.value = error_html(c["error"])
        else:
            self.count_label.value = (f"<b>{c['tokens']:,} tokens</b> · {c['words']:,} words · "
                                      f"{format_rate(c['share_of_window'])} of {c['model']}'s {c['window']:,}-token window")
        return c

    def measure(self) -> dict:
        """Build the document at the slider's length and say whether it fits the window (no model call)."""
        d = self.state["document"] = self.attempt(context.document_fit, self.doc_tokens.value, backend=self.backend)
        self.document = d.get("text", "")
        if d["error"]:
            self.fit_label.value = error_html(d["error"])
            return d
        verdict = {"fits": "fits",
                   "does not fit": f"does NOT fit (over by {d['overflow_by']:,} tokens)",
                   "barely fits": "barely fits: no room left for the question and answer"}[d["verdict"]]
        self.fit_label.value = f"Document: <b>{d['tokens']:,} tokens</b> vs window <b>{d['window']:,}</b> → {verdict}"
        self._show_strategy()
        return d

    def send(self) -> dict:
        """Ask the document's question with the chosen strategy; an overflow shows the model's real error."""
        with self.out:  # the progress bar of a multi-call strategy shows inside the widget
            self.out.clear_output()
            self.state["result"] = {"answer": None, **self.attempt(  # an overflow arrives as the result's own error
                context.answer_document, self.document, self.strategy.value, budget_tokens=self.budget.value,
                backend=self.backend, progress=True)}
        with self.out:
            self.out.clear_output(wait=True)
            r = self.state["result"]
            if r.get("error"):
                print("⛔", r["error"])
            else:
                print(f"Q: {r['question']}\nA: {r['answer']}   ({'right' if r['correct'] else 'wrong'}; the answer is locker {context.DOCUMENT_ANSWER})")
                print(f"kept {r['kept_tokens']:,} of {r['original_tokens']:,} tokens ({format_rate(r['kept_share'], 0)}) · {r['model_calls']} model call(s)")
        return self.state["result"]

    def _ipython_display_(self):
        display(W.VBox([self.text, self.count_label, W.HTML("<b>Context windows (price table; the local model's row says which window this course runs it with)</b>"), self.windows_html,
                        self.doc_tokens, self.fit_label, W.HBox([self.strategy, self.budget, self.send_button]),
                        self.strategy_note, self.out]))
