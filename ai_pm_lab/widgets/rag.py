"""RAG widget: the playground (question, top-k, threshold, template; with and without RAG side by side)."""
from __future__ import annotations

import html

import ipywidgets as W
from IPython.display import display

from ai_pm_lab.rag.pipeline import RAGPipeline
from ai_pm_lab.rag.prompts import TEMPLATES
from ai_pm_lab.tables import format_money
from ai_pm_lab.widgets.base import CourseWidget, action_style, error_html


def playground_view(pipeline: RAGPipeline, question: str, top_k: int = 3, threshold: float | None = None,
                    template: str = "grounded", compare: bool = True, max_tokens: int = 48, seed: int = 0,
                    backend=None, generate: bool = True) -> dict:
    """Plain data behind the playground: retrieval table, prompt with tokens and cost, answer, citations, baseline
    (threshold: the pipeline's own unless one is given). ``generate=False`` stops before the model: a free preview."""
    ans = pipeline.answer(question, top_k=top_k, threshold=threshold, template=template, backend=backend,
                          max_tokens=max_tokens, seed=seed, generate=generate)
    baseline = (pipeline.answer_without_rag(question, backend=backend, max_tokens=max_tokens, seed=seed)
                if compare and generate else None)
    return {
        "question": ans.question,
        "retrieved": ans.retrieval.table(),
        "best_score": ans.retrieval.best_score,
        "conflict_notes": ans.retrieval.conflict_notes,
        "system": ans.system,
        "prompt": ans.prompt,
        "prompt_tokens": ans.prompt_tokens,
        "estimated_cost_usd": ans.estimated_cost_usd,
        "answer": ans.text,
        "sources": ans.sources,
        "citations": ans.citations,
        "abstained": ans.abstained,
        "escalation": ans.escalation,
        "receipt": ans.generation.receipt() if ans.generation is not None else "no model call (below threshold)",
        "without_rag": baseline.text if baseline is not None else None,
        "without_rag_receipt": baseline.receipt() if baseline is not None else None,
        "result": ans,
    }


def _pre(text: str) -> str:
    return f"<pre style='white-space:pre-wrap;font-size:12px;max-height:260px;overflow:auto'>{html.escape(text or '')}</pre>"


class RAGPlayground(CourseWidget):
    """Ask the knowledge base a question and see every step: chunks and scores, prompt, cost, answer, sources."""

    def __init__(self, pipeline: RAGPipeline, question: str = "What's our refund policy for enterprise customers?",
                 max_tokens: int = 48, backend=None, run: bool = False):
        super().__init__()
        self.pipeline = pipeline
        self.max_tokens = max_tokens
        self.backend = backend
        self.question = W.Text(value=question, description="Question", layout=W.Layout(width="80%"))
        self.top_k = W.IntSlider(value=3, min=1, max=min(10, len(pipeline.chunks)), description="top-k")
        self.threshold = W.FloatSlider(value=pipeline.threshold, min=-1.0, max=1.0, step=0.01, description="threshold",
                                       readout_format=".2f")
        self.template = W.Dropdown(options=list(TEMPLATES), value="grounded", description="template")
        self.compare = W.Checkbox(value=True, description="also ask without RAG", style={"description_width": "initial"})
        self.button = W.Button(description="Ask", style=action_style())
        self.retrieved = W.HTML()
        self.prompt = W.HTML()
        self.answers = W.HTML()
        self._answered_with = None  # the settings of the answer on screen
        self._answer_html = ""
        self.button.on_click(lambda _: self.ask())
        # Retrieval and the prompt follow every control at once (no model call); the answer waits for Ask.
        self.question.continuous_update = False
        for control in (self.question, self.top_k, self.threshold, self.template, self.compare):
            control.observe(lambda _: self.preview(), names="value")
        if run:
            self.ask()
        else:
            self.preview()

    def _settings(self) -> tuple:
        return (self.question.value, self.top_k.value, self.threshold.value, self.template.value, self.compare.value)

    def ask(self) -> dict:
        """Run the pipeline for the current controls; any error is shown in the widget, never raised."""
        self.state = self.attempt(playground_view, self.pipeline, self.question.value, self.top_k.value,
                                  self.threshold.value, self.template.value, self.compare.value, self.max_tokens,
                                  backend=self.backend)
        self._draw()
        return self.state

    def preview(self) -> dict:
        """Retrieval and the augmented prompt for the current controls, without calling the model."""
        self.state = self.attempt(playground_view, self.pipeline, self.question.value, self.top_k.value,
                                  self.threshold.value, self.template.value, False, self.max_tokens,
                                  backend=self.backend, generate=False)
        self._draw(preview=True)
        return self.state

    def _draw(self, preview: bool = False) -> None:
        s = self.state
        if s.get("error"):
            self.retrieved.value = error_html(s["error"])
            self.prompt.value = self.answers.value = ""
            return
        notes = "".join(f"<li>⚖️ {html.escape(n)}</li>" for n in s["conflict_notes"])
        self.retrieved.value = (
            f"<h4>1 · Retrieved chunks (best score {s['best_score']:.2f}, threshold {self.threshold.value:.2f})</h4>"
            + s["retrieved"].to_html(index=False) + (f"<ul>{notes}</ul>" if notes else "")
        )
        c = s["estimated_cost_usd"]
        cost = "unknown" if c is None else "free (local model)" if c == 0 else format_money(c)
        tokens = "unknown" if s["prompt_tokens"] is None else f"{s['prompt_tokens']:,}"
        self.prompt.value = (
            f"<h4>2 · Augmented prompt: {tokens} tokens · estimated {cost} with the answer</h4>"
            + (_pre("SYSTEM: " + s["system"]) if s["system"] else "") + _pre(s["prompt"])
        )
        if preview:
            if self._answered_with == self._settings():
                self.answers.value = self._answer_html
            else:
                earlier = (f"<div style='color:#595959;border-left:3px solid #BBBBBB;padding-left:8px'>"  # muted, still 7:1
                           f"<i>Answer for earlier settings:</i>{self._answer_html}</div>"
                           if self._answer_html else "")
                calls = ("two model calls: with RAG, and without RAG to compare" if self.compare.value
                         else "one model call: with RAG only")
                self.answers.value = ("<h4>3 · Answer</h4><p><b>Press Ask</b> to generate the answer for these settings "
                                      f"({calls}; the model is only called then).</p>" + earlier)
            return
        if s["abstained"]:
            main = f"<b>{html.escape(s['answer'])}</b><br>🙋 {html.escape(s['escalation'] or '')}"
        else:
            cites = ", ".join(s["citations"]) or "none in the text"
            main = (f"{html.escape(s['answer'])}<br><small>Sources: {', '.join(s['sources'])} · cited by the model: {cites}"
                    f"<br>{html.escape(s['receipt'])}</small>")
        side = ""
        if s["without_rag"] is not None:
            side = (f"<td style='vertical-align:top;width:50%'><h4>Without RAG</h4>{html.escape(s['without_rag'])}"
                    f"<br><small>{html.escape(s['without_rag_receipt'])}</small></td>")
        self.answers.value = (f"<table><tr><td style='vertical-align:top;width:50%'><h4>3 · With RAG</h4>{main}</td>{side}</tr></table>")
        self._answer_html, self._answered_with = self.answers.value, self._settings()

    def _ipython_display_(self):
        controls = W.VBox([self.question, W.HBox([self.top_k, self.threshold]), W.HBox([self.template, self.compare, self.button])])
        display(W.VBox([controls, self.retrieved, self.prompt, self.answers]))
