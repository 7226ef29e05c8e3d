"""RAG widget: the playground (question, top-k, threshold, template; with and without RAG side by side)."""
from __future__ import annotations

import html

import ipywidgets as W
from IPython.display import display

from ai_pm_lab.widgets.base import error_message
from ai_pm_lab.rag.pipeline import DEFAULT_THRESHOLD, TEMPLATES, RAGPipeline


def playground_view(pipeline: RAGPipeline, question: str, top_k: int = 3, threshold: float = DEFAULT_THRESHOLD,
                    template: str = "grounded", compare: bool = True, max_tokens: int = 48, seed: int = 0,
                    backend=None) -> dict:
    """Plain data behind the playground: retrieval table, prompt with tokens and cost, answer, citations, baseline."""
    ans = pipeline.answer(question, top_k=top_k, threshold=threshold, template=template, backend=backend,
                          max_tokens=max_tokens, seed=seed)
    baseline = pipeline.answer_without_rag(question, backend=backend, max_tokens=max_tokens, seed=seed) if compare else None
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


class RAGPlayground:
    """Ask the knowledge base a question and see every step: chunks and scores, prompt, cost, answer, sources."""

    def __init__(self, pipeline: RAGPipeline, question: str = "What's our refund policy for enterprise customers?",
                 max_tokens: int = 48, backend=None, run: bool = False):
        self.pipeline = pipeline
        self.max_tokens = max_tokens
        self.backend = backend
        self.question = W.Text(value=question, description="Question", layout=W.Layout(width="80%"))
        self.top_k = W.IntSlider(value=3, min=1, max=min(10, len(pipeline.chunks)), description="top-k")
        self.threshold = W.FloatSlider(value=DEFAULT_THRESHOLD, min=-1.0, max=1.0, step=0.01, description="threshold",
                                       readout_format=".2f")
        self.template = W.Dropdown(options=list(TEMPLATES), value="grounded", description="template")
        self.compare = W.Checkbox(value=True, description="also ask without RAG")
        self.button = W.Button(description="Ask", button_style="primary")
        self.retrieved = W.HTML()
        self.prompt = W.HTML()
        self.answers = W.HTML()
        self.state: dict = {}
        self.button.on_click(lambda _: self.ask())
        if run:
            self.ask()

    def ask(self) -> dict:
        """Run the pipeline for the current controls; any error is shown in the widget, never raised."""
        try:
            self.state = playground_view(self.pipeline, self.question.value, self.top_k.value, self.threshold.value,
                                         self.template.value, self.compare.value, self.max_tokens, backend=self.backend)
            self.state["error"] = None
        except Exception as exc:  # a widget shows the problem instead of crashing
            self.state = {"error": error_message(exc)}
        self._draw()
        return self.state

    def _draw(self) -> None:
        s = self.state
        if s.get("error"):
            self.retrieved.value = f"<b>⚠️ {html.escape(s['error'])}</b>"
            self.prompt.value = self.answers.value = ""
            return
        notes = "".join(f"<li>⚖️ {html.escape(n)}</li>" for n in s["conflict_notes"])
        self.retrieved.value = (
            f"<h4>1 · Retrieved chunks (best score {s['best_score']:.2f}, threshold {self.threshold.value:.2f})</h4>"
            + s["retrieved"].to_html(index=False) + (f"<ul>{notes}</ul>" if notes else "")
        )
        cost = "unknown" if s["estimated_cost_usd"] is None else f"${s['estimated_cost_usd']:.6f}"
        tokens = "unknown" if s["prompt_tokens"] is None else f"{s['prompt_tokens']:,}"
        self.prompt.value = (
            f"<h4>2 · Augmented prompt: {tokens} tokens · estimated {cost} with the answer</h4>"
            + (_pre("SYSTEM: " + s["system"]) if s["system"] else "") + _pre(s["prompt"])
        )
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

    def _ipython_display_(self):
        controls = W.VBox([self.question, W.HBox([self.top_k, self.threshold]), W.HBox([self.template, self.compare, self.button])])
        display(W.VBox([controls, self.retrieved, self.prompt, self.answers]))
