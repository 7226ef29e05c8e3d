"""Widgets for the limits experiments: the hallucination explorer and the context-limit explorer (thin views over ai_pm_lab.limits)."""
from __future__ import annotations

import html

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from ai_pm_lab.widgets.base import COURSE_ERRORS, table_html
from ai_pm_lab.limits import context
from ai_pm_lab.limits import hallucination

class HallucinationExplorer:
    """Pick a question and a mode, ask the model, read the verdict; run the whole grid for measured rates."""

    def __init__(self, question_id: str = "future-1", mode: str = "no context", n: int = 3, backend=None):
        from ai_pm_lab.errors import require_number

        require_number(n, "n", low=1, high=12, integer=True)
        options = [(f"[{q['kind']}] {q['question']}", q["id"]) for q in hallucination.questions()]
        self.question = W.Dropdown(options=options, value=hallucination.question(question_id)["id"], description="Question",
                                   layout=W.Layout(width="95%"))
        self.mode = W.ToggleButtons(options=list(hallucination.MODES), value=hallucination._check_mode(mode), description="Mode")
        self.temperature = W.FloatSlider(value=0.7, min=0.0, max=1.5, step=0.1, description="temperature")
        self.seed = W.IntText(value=0, description="seed")
        self.ask_button = W.Button(description="Ask", button_style="primary")
        self.n = W.IntSlider(value=n, min=1, max=12, description="N per cell")
        self.grid_button = W.Button(description="Run the grid", button_style="warning")
        self.out = W.Output()
        self.grid_out = W.Output()
        self.backend = backend
        self.state: dict = {}
        self.ask_button.on_click(lambda _: self.ask())
        self.grid_button.on_click(lambda _: self.run_grid())

    def ask(self) -> dict:
        """Ask the chosen question in the chosen mode; the verdict follows the stated rule."""
        try:
            r = hallucination.ask_question(self.question.value, self.mode.value, temperature=self.temperature.value,
                                           seed=self.seed.value, backend=self.backend)
            self.state = {**r, "error": None}
        except COURSE_ERRORS as exc:
            self.state = {"error": str(exc)}
        with self.out:
            self.out.clear_output(wait=True)
            if self.state["error"]:
                print("⚠️", self.state["error"])
            else:
                icon = {"grounded": "✅", "refused": "🤷", "hallucinated": "❌"}[self.state["verdict"]]
                print(f"Q: {self.state['question']}\nA: {self.state['answer']}\n\n{icon} verdict: {self.state['verdict']}")
                print(f"rule: {hallucination.VERDICT_RULE}\n{self.state['receipt']}")
        return self.state

    def run_grid(self) -> dict:
        """N samples per question-kind x mode cell; the measured hallucination rate of each cell."""
        try:
            grid = hallucination.run_grid(self.n.value, temperature=self.temperature.value, backend=self.backend)
            self.state = {"grid": grid, "rates": hallucination.rates(grid), "error": None}
        except COURSE_ERRORS as exc:
            self.state = {"error": str(exc)}
        with self.grid_out:
            self.grid_out.clear_output(wait=True)
            if self.state["error"]:
                print("⚠️", self.state["error"])
            else:
                hallucination.plot_rates(self.state["grid"])
                plt.show()
        return self.state

    def _ipython_display_(self):
        display(W.VBox([self.question, self.mode, W.HBox([self.temperature, self.seed, self.ask_button]), self.out,
                        W.HBox([self.n, self.grid_button]), self.grid_out]))


class ContextLimitExplorer:
    """Count tokens, compare windows, slide a document past the local window and pick a strategy to fit it."""

    def __init__(self, doc_tokens: int = 1200, strategy: str = "send everything", budget_tokens: int = 500, backend=None):
        from ai_pm_lab.errors import require_number

        require_number(doc_tokens, "doc_tokens", low=100, high=4000, integer=True)
        require_number(budget_tokens, "budget_tokens", low=100, high=1800, integer=True)
        self.backend = backend
        self.text = W.Textarea(value="Paste any text here to count its tokens.", description="Text",
                               layout=W.Layout(width="95%", height="80px"))
        self.count_label = W.HTML()
        self.doc_tokens = W.IntSlider(value=doc_tokens, min=100, max=4000, step=100, description="doc tokens",
                                      continuous_update=False)
        self.fit_label = W.HTML()
        self.strategy = W.Dropdown(options=list(context.STRATEGIES), value=context._check_strategy(strategy), description="Strategy")
        self.budget = W.IntSlider(value=budget_tokens, min=100, max=1800, step=50, description="budget",
                                  continuous_update=False)
        self.send_button = W.Button(description="Send to the model", button_style="primary")
        self.out = W.Output()
        windows = context.model_windows(backend)[["display_name", "window_tokens", "words_approx"]]
        windows = windows.assign(window_tokens=windows["window_tokens"].map("{:,}".format),
                                 words_approx=windows["words_approx"].map("~{:,}".format))
        self.windows_html = W.HTML(table_html(windows))
        self.state: dict = {}
        self.text.observe(lambda _: self.count(), names="value")
        self.doc_tokens.observe(lambda _: self.measure(), names="value")
        self.send_button.on_click(lambda _: self.send())
        self.count()
        self.measure()

    def count(self) -> dict:
        """Tokens of the text box on the active model's tokenizer."""
        try:
            self.state["count"] = context.token_report(self.text.value, self.backend)
            c = self.state["count"]
            self.count_label.value = (f"<b>{c['tokens']:,} tokens</b> · {c['words']:,} words · "
                                      f"{c['share_of_window']:.1%} of {c['model']}'s {c['window']:,}-token window")
        except COURSE_ERRORS as exc:
            self.state["count"] = {"error": str(exc)}
            self.count_label.value = f"⚠️ {html.escape(str(exc))}"
        return self.state["count"]

    def measure(self) -> dict:
        """Build the document at the slider's length and say whether it fits the window (no model call)."""
        window = context._backend_window(self.backend)
        self.document = context.make_document(self.doc_tokens.value, backend=self.backend)
        tokens = context._count(self.document, self.backend)
        self.state["document"] = {"tokens": tokens, "window": window, "fits": tokens < window - 150,
                                  "overflow_by": max(0, tokens - window)}
        d = self.state["document"]
        verdict = "fits" if d["fits"] else f"does NOT fit (over by {d['overflow_by']:,} tokens)" if d["overflow_by"] else "barely fits: no room left for the question and answer"
        self.fit_label.value = f"Document: <b>{tokens:,} tokens</b> vs window <b>{window:,}</b> → {verdict}"
        return self.state["document"]

    def send(self) -> dict:
        """Ask the document's question with the chosen strategy; an overflow shows the model's real error."""
        try:
            r = context.answer_with_strategy(self.document, context.DOCUMENT_QUESTION, self.strategy.value,
                                             budget_tokens=None if self.strategy.value == "send everything" else self.budget.value,
                                             backend=self.backend, progress=True)
            r["correct"] = r["answer"] is not None and context.contains_phrase(r["answer"], context.DOCUMENT_ANSWER)
            self.state["result"] = {**r}
        except COURSE_ERRORS as exc:
            self.state["result"] = {"error": str(exc), "answer": None}
        with self.out:
            self.out.clear_output(wait=True)
            r = self.state["result"]
            if r.get("error"):
                print("⛔", r["error"])
            else:
                print(f"Q: {r['question']}\nA: {r['answer']}   ({'right' if r['correct'] else 'wrong'}; the answer is locker {context.DOCUMENT_ANSWER})")
                print(f"kept {r['kept_tokens']:,} of {r['original_tokens']:,} tokens ({r['kept_share']:.0%}) · {r['model_calls']} model call(s)")
        return self.state["result"]

    def _ipython_display_(self):
        display(W.VBox([self.text, self.count_label, W.HTML("<b>Published context windows (price table)</b>"), self.windows_html,
                        self.doc_tokens, self.fit_label, W.HBox([self.strategy, self.budget, self.send_button]), self.out]))
