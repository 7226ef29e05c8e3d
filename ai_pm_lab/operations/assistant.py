"""The assistant as users meet it: a RAG pipeline behind a response cache, with AI disclosure, "why this answer"
(the cited sources), a hand-over to a human, a kill switch, and one event-log line per request."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from ai_pm_lab.errors import InputError, InputTypeError, require_number, require_text
from ai_pm_lab.evaluation.refusals import is_refusal
from ai_pm_lab.llm import generate
from ai_pm_lab.rag.log import EventLog
from ai_pm_lab.rag.pipeline import RAGPipeline, get_template
from ai_pm_lab.tables import format_rate
from ai_pm_lab.text import normalise

DISCLOSURE = ("AI assistant: this reply was written by an AI model from Tidewell's help articles and can be wrong. "
              "Reply 'human' at any time to reach a person.")
HUMAN_HANDOFF = ("A person from our support team will take this question (ticket opened); "
                 "the AI assistant is not answering right now.")


@dataclass(frozen=True)
class AssistantConfig:
    """One version of the assistant: prompt template, chunks retrieved, similarity threshold, answer length, and any
    extra keyword arguments for RAGPipeline.answer (e.g. an answerability-gate setting) in ``options``."""

    name: str = "baseline"
    template: str = "grounded"
    top_k: int = 3
    threshold: float | None = None  # None: the pipeline's own decision (its answerability gate, or its threshold)
    max_tokens: int = 40
    options: dict = field(default_factory=dict, hash=False)

    def __post_init__(self):
        require_text(self.name, "name")
        get_template(self.template)  # raises a clear error for an unknown template
        require_number(self.top_k, "top_k", low=1, high=50, integer=True)
        if self.threshold is not None:
            require_number(self.threshold, "threshold", low=-1.0, high=1.0)
        require_number(self.max_tokens, "max_tokens", low=1, high=4096, integer=True)
        if not isinstance(self.options, dict):
            raise InputTypeError(f"options must be a dict of extra RAGPipeline.answer arguments, not {type(self.options).__name__}.")

    def variant(self, name: str, **changes) -> "AssistantConfig":
        """A copy with a new name and some settings changed, e.g. baseline.variant('strict', threshold=0.5)."""
        return replace(self, name=name, **changes)

    def answer_kwargs(self) -> dict:
        """The keyword arguments this version passes to RAGPipeline.answer."""
        kwargs = {"template": self.template, "top_k": self.top_k, "max_tokens": self.max_tokens, "temperature": 0.0,
                  "seed": 0, **self.options}
        if self.threshold is not None:
            kwargs["threshold"] = self.threshold
        return kwargs

    def key(self) -> str:
        """Everything that changes the reply (not the name): two versions with the same key share cached replies."""
        opts = ",".join(f"{k}={self.options[k]!r}" for k in sorted(self.options))
        t = "default" if self.threshold is None else f"{self.threshold:.4f}"
        return f"{self.template}|k={self.top_k}|t={t}|max={self.max_tokens}|{opts}"

    def describe(self) -> str:
        """One line naming the settings."""
        extra = "".join(f", {k}={v!r}" for k, v in sorted(self.options.items()))
        t = "the pipeline's default decision" if self.threshold is None else f"similarity threshold {self.threshold:.2f}"
        return f"{self.name}: template {self.template!r}, top-k {self.top_k}, {t}, max {self.max_tokens} tokens{extra}"


def cache_key(question: str, config: AssistantConfig) -> tuple[str, str]:
    """The response-cache key: the normalised question (case, punctuation and spacing ignored) and the version."""
    return normalise(require_text(question, "question")), config.key()


class ResponseCache:
    """Replies already given, keyed on (normalised question, assistant version); counts hits and misses."""

    def __init__(self):
        self._store: dict = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        rate = "n/a" if self.hit_rate is None else format_rate(self.hit_rate, 0)
        return f"ResponseCache({len(self)} replies, {self.hits} hits, {self.misses} misses, hit rate {rate})"

    def get(self, question: str, config: AssistantConfig):
        """The stored reply for this question and version, or None (a lookup counts as a hit or a miss)."""
        reply = self._store.get(cache_key(question, config))
        if reply is None:
            self.misses += 1
        else:
            self.hits += 1
        return reply

    def put(self, question: str, config: AssistantConfig, reply) -> None:
        """Store a reply."""
        self._store[cache_key(question, config)] = reply

    @property
    def hit_rate(self) -> float | None:
        """Hits / lookups, or None before the first lookup."""
        total = self.hits + self.misses
        return self.hits / total if total else None

    def clear(self) -> None:
        """Forget every reply and reset the counters."""
        self._store.clear()
        self.hits = self.misses = 0


class ReplayGenerator:
    """Wraps generate(): each distinct prompt (same settings, fixed seed) goes to the model once; a repeat replays that
    measured Generation, its latency included. A simulation device so several assistant versions that send the same
    prompt do not pay for it twice; users never see it (the response cache is the product feature)."""

    def __init__(self, generator=None):
        if generator is None:
            generator = generate
        if not callable(generator):
            raise InputTypeError("generator must be a function like ai_pm_lab.generate.")
        self.generator = generator
        self._memo: dict = {}
        self.calls = 0
        self.replays = 0
        self.last_wall_s = 0.0

    def __call__(self, prompt, *, system=None, backend=None, temperature=0.7, max_tokens=128, seed=None, **kwargs):
        start = time.perf_counter()
        key = None
        if seed is not None or temperature == 0:
            key = (prompt, system, backend, float(temperature), int(max_tokens), seed, tuple(sorted(kwargs.items())))
        if key is not None and key in self._memo:
            self.replays += 1
            gen = self._memo[key]
        else:
            gen = self.generator(prompt, system=system, backend=backend, temperature=temperature, max_tokens=max_tokens,
                                 seed=seed, **kwargs)
            self.calls += 1
            if key is not None:
                self._memo[key] = gen
        self.last_wall_s = time.perf_counter() - start
        return gen


@dataclass
class Reply:
    """What one request got: the text shown (disclosure, answer, sources, hand-over), where it went, and its receipts."""

    question: str
    answer: str
    shown: str
    route: str  # "assistant" or "human"
    outcome: str  # "answered" | "refused" | "escalated" (as in the event log)
    refused: bool
    sources: list
    best_score: float | None
    gate_probability: float | None
    latency_s: float
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    model: str | None
    template: str | None
    model_called: bool
    cache_hit: bool = False
    prompt: str = ""
    context: str = ""
    version: str = ""
    stopped_by: str | None = None
    retrieved: list = field(default_factory=list)

    def __str__(self) -> str:
        return self.shown

    def fields(self) -> dict:
        """The reply as flat row fields (for the traffic table and the event log)."""
        return {
            "answer": self.answer, "route": self.route, "outcome": self.outcome, "refused": self.refused,
            "sources": list(self.sources), "best_score": self.best_score, "gate_probability": self.gate_probability,
            "latency_s": self.latency_s, "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens, "cost_usd": self.cost_usd, "model": self.model,
            "template": self.template, "model_called": self.model_called, "cache_hit": self.cache_hit,
            "version": self.version, "stopped_by": self.stopped_by,
        }


def why_this_answer(pipeline: RAGPipeline, sources) -> str:
    """'Why this answer': the documents the reply was built from, with their titles and dates."""
    if not sources:
        return "No help article was close enough to answer from."
    parts = []
    for doc_id in sources:
        doc = pipeline.documents.get(doc_id)
        label = f"{doc_id} · {doc.title}" + (f" ({doc.date})" if getattr(doc, "date", None) else "") if doc else doc_id
        parts.append(label)
    return "Why this answer: built from " + "; ".join(parts) + "."


class Assistant:
    """The served assistant: response cache → RAG pipeline → reply with disclosure, sources and hand-over; a kill
    switch routes every request to humans with no model call; every request is written to the event log."""

    def __init__(self, pipeline: RAGPipeline, config: AssistantConfig | None = None, *, cache: ResponseCache | None = None,
                 log: EventLog | None = None, generator: ReplayGenerator | None = None, backend: str | None = None,
                 disclose: bool = True, use_cache: bool = True):
        if not isinstance(pipeline, RAGPipeline):
            raise InputTypeError(f"pipeline must be a RAGPipeline (from ai_pm_lab.rag), not {type(pipeline).__name__}.")
        config = AssistantConfig() if config is None else config
        if not isinstance(config, AssistantConfig):
            raise InputTypeError(f"config must be an AssistantConfig, not {type(config).__name__}.")
        if log is not None and not isinstance(log, EventLog):
            log = EventLog(log)
        self.pipeline = pipeline
        self.config = config
        self.cache = ResponseCache() if cache is None else cache
        self.log = log
        self.backend = backend
        self.disclose = bool(disclose)
        self.use_cache = bool(use_cache)
        self.kill_switch = False
        self.generator = generator if generator is not None else ReplayGenerator()
        if not isinstance(self.generator, ReplayGenerator):
            raise InputTypeError("generator must be a ReplayGenerator (or None for a new one).")

    def __repr__(self) -> str:
        return (f"Assistant({self.config.describe()}; kill switch {'ON' if self.kill_switch else 'off'}; "
                f"{self.cache!r})")

    def with_config(self, config: AssistantConfig, *, cache: ResponseCache | None = None, log="same",
                    use_cache: bool | None = None) -> "Assistant":
        """Another version of the assistant on the same pipeline and model replay (same cache and log unless given)."""
        twin = Assistant(self.pipeline, config, cache=self.cache if cache is None else cache,
                         log=self.log if log == "same" else log, generator=self.generator, backend=self.backend,
                         disclose=self.disclose, use_cache=self.use_cache if use_cache is None else use_cache)
        twin.kill_switch = self.kill_switch
        return twin

    def _shown(self, answer_text: str, sources, refused: bool, escalation: str | None) -> str:
        lines = [DISCLOSURE] if self.disclose else []
        lines.append(answer_text)
        if refused:
            lines.append(escalation or f"I'll pass this to {self.pipeline.escalation_contact}.")
        else:
            lines.append(why_this_answer(self.pipeline, sources))
        return "\n".join(lines)

    def _killed(self, question: str, start: float) -> Reply:
        return Reply(question, "", HUMAN_HANDOFF, "human", "escalated", True, [], None, None,
                     time.perf_counter() - start, 0, 0, 0.0, None, None, False, version=self.config.name,
                     stopped_by="kill switch")

    def reply(self, question: str, **log_fields) -> Reply:
        """Answer one question as users see it (cache first); extra fields (e.g. user_id) go into the event log."""
        start = time.perf_counter()
        require_text(question, "question")
        if self.kill_switch:
            reply = self._killed(question.strip(), start)
            self._record(reply, log_fields)
            return reply
        cached = self.cache.get(question, self.config) if self.use_cache else None
        if cached is not None:
            reply = replace(cached, cache_hit=True, latency_s=time.perf_counter() - start, prompt_tokens=0,
                            completion_tokens=0, cost_usd=0.0, model_called=False)
            self._record(reply, log_fields)
            return reply
        # The pipeline decides (similarity threshold or answerability gate) and builds the prompt; the assistant makes
        # the model call itself, so the replay, a PII redactor or any other generator sits on the serving path.
        wall_start = time.perf_counter()
        saved_log = getattr(self.pipeline, "log", None)
        self.pipeline.log = None  # the assistant logs each request itself
        try:
            plan = self.pipeline.answer(question, backend=self.backend, generate=False, **self.config.answer_kwargs())
        finally:
            self.pipeline.log = saved_log
        retrieval = plan.retrieval
        gen, text, refused, escalation, sources = None, plan.text, bool(plan.abstained), plan.escalation, list(plan.sources)
        if not refused:
            gen = self.generator(plan.prompt, system=plan.system, backend=self.backend, temperature=0.0,
                                 max_tokens=self.config.max_tokens, seed=0)
            text = gen.text.strip()
            if is_refusal(text):
                refused, sources = True, []
                escalation = (f"Escalate: the model found no answer in the retrieved documents. Hand this question to "
                              f"{self.pipeline.escalation_contact}.")
        wall = time.perf_counter() - wall_start
        # time the user waited: retrieval and prompt as measured now, plus the model's measured latency
        latency = (wall - self.generator.last_wall_s + gen.latency_s) if gen is not None else wall
        latency += time.perf_counter() - start - wall
        gate_p = getattr(retrieval, "gate_probability", None)
        stopped = None if not refused else ("model" if gen is not None else ("gate" if gate_p is not None else "threshold"))
        reply = Reply(
            question=plan.question, answer=text, shown=self._shown(text, sources, refused, escalation), route="assistant",
            outcome="escalated" if refused else "answered", refused=refused, sources=sources,
            best_score=float(retrieval.best_score), gate_probability=gate_p, latency_s=latency,
            prompt_tokens=int(gen.prompt_tokens or 0) if gen is not None else 0,
            completion_tokens=int(gen.completion_tokens or 0) if gen is not None else 0,
            cost_usd=(None if gen.cost_usd is None else float(gen.cost_usd)) if gen is not None else 0.0,
            model=getattr(gen, "model", None), template=plan.template, model_called=gen is not None,
            prompt=((plan.system + "\n") if plan.system else "") + plan.prompt if gen is not None else "",
            context="\n".join(h.chunk.text for h in retrieval.hits), version=self.config.name, stopped_by=stopped,
            retrieved=list(retrieval.doc_ids),
        )
        if self.use_cache:
            self.cache.put(question, self.config, reply)
        self._record(reply, log_fields)
        return reply

    def _record(self, reply: Reply, extra: dict) -> None:
        if self.log is None:
            return
        fields = {k: v for k, v in reply.fields().items() if k not in ("refused", "route")}
        fields.pop("sources")
        fields["doc_ids"] = list(reply.sources) if not reply.refused else list(reply.retrieved)
        self.log.record(question=reply.question, route=reply.route, **fields, **extra)

    def handle(self, request: dict) -> dict:
        """One traffic request (a dict with 'question' and optionally 'time', 'user_id', 'request_id') as row fields."""
        if not isinstance(request, dict) or "question" not in request:
            raise InputTypeError("a request must be a dict with at least a 'question' field.")
        extra = {k: request[k] for k in ("request_id", "user_id") if k in request}
        if "time" in request and request["time"] is not None:
            extra["time"] = str(request["time"].isoformat() if hasattr(request["time"], "isoformat") else request["time"])
        reply = self.reply(request["question"], **extra)
        row = reply.fields()
        row["shown"] = reply.shown
        row["prompt"] = reply.prompt
        row["context"] = reply.context
        return row


def kill_switch_test(assistant: Assistant, questions) -> dict:
    """Turn the kill switch on, send the questions, turn it back off: how many went to humans and how many model
    calls were made (a working switch: all of them, none)."""
    if not isinstance(assistant, Assistant):
        raise InputTypeError(f"assistant must be an Assistant, not {type(assistant).__name__}.")
    qs = [require_text(q, "question") for q in questions]
    if not qs:
        raise InputError("Send at least one question through the kill-switch test.")
    before = assistant.generator.calls + assistant.generator.replays
    was = assistant.kill_switch
    assistant.kill_switch = True
    try:
        replies = [assistant.reply(q) for q in qs]
    finally:
        assistant.kill_switch = was
    return {"requests": len(replies), "routed_to_human": sum(r.route == "human" for r in replies),
            "model_calls": assistant.generator.calls + assistant.generator.replays - before,
            "example": replies[0].shown}


def transparency_report(day) -> dict:
    """From a served day: share of replies that disclose AI, share of answers that name their sources, share of
    refusals that offer a human."""
    import pandas as pd

    if not isinstance(day, pd.DataFrame) or "shown" not in day.columns:
        raise InputTypeError("day must be the DataFrame returned by traffic.serve() or traffic.run_day().")
    served = day[day["status"] != "error"]
    if served.empty:
        raise InputError("No served replies to inspect: serve some traffic first.")
    answered = served[~served["refused"].astype(bool)]
    refused = served[served["refused"].astype(bool)]
    shown = served["shown"].astype(str)
    return {
        "replies": int(len(served)),
        "disclosure_share": float(shown.str.contains(DISCLOSURE, regex=False).mean()),
        "answers_with_sources": float(answered["shown"].astype(str).str.contains("Why this answer:", regex=False).mean()) if len(answered) else None,
        "refusals_with_handoff": float(refused["shown"].astype(str).str.contains("human|person|Escalate", case=False).mean()) if len(refused) else None,
    }
