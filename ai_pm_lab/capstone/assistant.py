"""The two systems the capstone compares: the AI support assistant (the week-6 served assistant over a RAG pipeline,
logging every request) and today's non-AI process, a keyword FAQ search that shows the best-matching paragraph."""
from __future__ import annotations

import time

from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.operations.assistant import Assistant, AssistantConfig, ReplayGenerator
from ai_pm_lab.rag.log import EventLog
from ai_pm_lab.rag.pipeline import RAGPipeline
from ai_pm_lab.rag.search import KeywordSearch

CONFIG = AssistantConfig(name="capstone", template="grounded", top_k=3, max_tokens=40)
NO_RESULTS = "No results."


def build_pipeline(documents, *, additions=None, gate="default", progress: bool = False) -> RAGPipeline:
    """The RAG pipeline over ``documents`` (a folder, or a list of files/folders) plus an ``additions`` folder, if given;
    ``gate`` is its answerability gate ('default': the shipped one; or a Gate, e.g. one calibrated on your folder)."""
    docs = list(documents) if isinstance(documents, (list, tuple)) else [documents]
    if additions is not None:
        docs.append(str(additions))
    return RAGPipeline(docs, progress=progress, gate=gate)


def build_assistant(pipeline: RAGPipeline, *, log=None, replay: ReplayGenerator | None = None,
                    config: AssistantConfig = CONFIG) -> Assistant:
    """The served AI assistant (week 6): response cache, disclosure, sources, hand-over, one log line per request.

    Pass the ``replay`` of an earlier assistant so a prompt both versions send is answered by the model only once."""
    if log is not None and not isinstance(log, EventLog):
        log = EventLog(log)
    return Assistant(pipeline, config, log=log, generator=replay)


class KeywordFAQ:
    """Today's process: a keyword (TF-IDF) search over the same documents that shows the best-matching paragraph as
    the answer, with no model. When no word of the question matches, it shows 'No results.'"""

    name = "keyword FAQ search"

    def __init__(self, pipeline: RAGPipeline, *, min_score: float = 0.05):
        if not isinstance(pipeline, RAGPipeline):
            raise InputTypeError(f"KeywordFAQ needs the RAGPipeline whose documents it searches, not {type(pipeline).__name__}.")
        self.chunks = list(pipeline.chunks)
        self.search = KeywordSearch([c.text for c in self.chunks])
        self.min_score = float(min_score)

    def handle(self, request: dict) -> dict:
        """One request as reply fields shaped like the AI assistant's (answer, refused, sources, latency, cost)."""
        start = time.perf_counter()
        question = request.get("question") if isinstance(request, dict) else None
        if not isinstance(question, str) or not question.strip():
            raise InputError("a request needs a non-empty 'question'.")
        try:
            scores, ids = self.search.search(question, 1)
            best = float(scores[0])
        except ValueError:  # nothing searchable in the question (only stop words)
            best, ids = 0.0, [0]
        if best < self.min_score:
            answer, sources, context, refused = NO_RESULTS, [], "", True
        else:
            chunk = self.chunks[int(ids[0])]
            answer, sources, context, refused = chunk.text, [chunk.doc_id], chunk.text, False
        return {"answer": answer, "route": "faq", "outcome": "refused" if refused else "answered", "refused": refused,
                "sources": sources, "best_score": best, "latency_s": time.perf_counter() - start, "cost_usd": 0.0,
                "prompt_tokens": 0, "completion_tokens": 0, "model_called": False, "cache_hit": False,
                "context": context, "version": "keyword FAQ"}
