"""A reusable retrieval-augmented generation pipeline: chunk → embed → index → retrieve → prompt → generate → cite."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pandas as pd

from ai_pm_lab import embeddings
from ai_pm_lab.catalog import find_model
from ai_pm_lab.cost import estimate_cost
from ai_pm_lab.errors import InputError, InputTypeError, require_number, require_text
from ai_pm_lab.evaluation.refusals import is_refusal
from ai_pm_lab.evaluation.retrieval import ranked_doc_ids
from ai_pm_lab.llm.backends import generate as generate_text
from ai_pm_lab.llm.backends import get_backend
from ai_pm_lab.llm.tokens import count_tokens
from ai_pm_lab.rag import search
from ai_pm_lab.rag.chunking import Chunk, chunk_documents
from ai_pm_lab.rag.conflicts import apply_conflict_rule
from ai_pm_lab.rag.documents import KnowledgeBaseError, LoadReport, kb_folder, load_folder
from ai_pm_lab.rag.extractive import ANSWER_MODES, candidate_sentences, pick_sentence, pick_sentences, plain_text
from ai_pm_lab.rag.gate import Gate, default_gate
from ai_pm_lab.rag.log import EventLog, answer_event
from ai_pm_lab.rag.prompts import IDK, format_context, get_template
from ai_pm_lab.tables import format_rate, returns_course_table

CONFLICT_RULE = (
    "When two retrieved documents cover the same topic, the one with the newest date wins; "
    "older versions are left out of the prompt and listed as superseded."
)
DEFAULT_THRESHOLD = 0.40
DEFAULT_TOP_K = 3  # chunks retrieved when top_k is not given (fewer when the knowledge base has fewer, with a note)
CITATION_RE = re.compile(r"\[([A-Za-z0-9_.\-]+)(?:\s*#\d+)?\]")


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with its cosine similarity to the question and its rank (1 = best)."""

    chunk: Chunk
    score: float
    rank: int


@dataclass
class Retrieval:
    """What retrieval found: chunks used, chunks dropped as superseded, and whether to abstain."""

    question: str
    hits: list
    dropped: list
    conflict_notes: list
    best_score: float
    threshold: float
    abstain: bool
    embed_ms: float = 0.0
    search_ms: float = 0.0
    gate_probability: float | None = None  # set when the answerability gate decided (P(answerable))
    gate_cutoff: float | None = None
    notes: list = field(default_factory=list)  # what retrieval adjusted, e.g. fewer chunks than top_k asked for

    @property
    def doc_ids(self) -> list[str]:
        """Distinct document ids in rank order (superseded ones included, where they ranked)."""
        return ranked_doc_ids(sorted([*self.hits, *self.dropped], key=lambda h: h.rank))

    @returns_course_table
    def table(self):
        """The retrieved chunks as a DataFrame: rank, score, document, date, used or superseded, text."""
        rows = [
            {"rank": h.rank, "score": round(h.score, 3), "doc": h.chunk.doc_id, "date": h.chunk.date,
             "status": "used" if h in self.hits else "superseded", "title": h.chunk.title,
             "text": _preview(h.chunk.text)}
            for h in sorted([*self.hits, *self.dropped], key=lambda h: h.rank)
        ]
        return pd.DataFrame(rows)


@dataclass
class RAGAnswer:
    """The full record of one answered question: retrieval, prompt, cost, answer, citations, escalation."""

    question: str
    retrieval: Retrieval
    template: str
    prompt: str
    system: str | None
    prompt_tokens: int | None
    estimated_cost_usd: float | None
    text: str
    generation: object | None
    sources: list
    citations: list
    abstained: bool
    escalation: str | None
    timings_ms: dict = field(default_factory=dict)
    pick: object | None = None  # answer_mode="extractive": the rag.extractive.Pick (every candidate sentence, scored)

    def __str__(self) -> str:
        return self.text

    def summary(self) -> str:
        """The answer, its sources and any escalation, as a short block of text."""
        lines = [self.text]
        if self.sources:
            lines.append("Sources: " + ", ".join(self.sources))
        if self.escalation:
            lines.append(self.escalation)
        lines.extend(f"Note: {n}" for n in self.retrieval.notes)
        return "\n".join(lines)


def _preview(text: str, limit: int = 160) -> str:
    """A chunk as people read it: plain text (no markdown marks), cut at ``limit`` characters."""
    text = plain_text(text)
    return text[:limit] + ("…" if len(text) > limit else "")


def resolve_conflicts(hits, documents: dict) -> tuple[list, list, list]:
    """Apply CONFLICT_RULE, the "newest" rule of ``rag.conflicts``: (kept hits, superseded hits, one note per conflict)."""
    return apply_conflict_rule(hits, documents, "newest")


def extract_citations(text: str, known_ids) -> list[str]:
    """Document ids the answer cites in square brackets, limited to ids that were really in the prompt."""
    known = list(known_ids)
    out = []
    for m in CITATION_RE.finditer(text or ""):
        if m.group(1) in known and m.group(1) not in out:
            out.append(m.group(1))
    return out


class RAGPipeline:
    """Retrieval-augmented generation over any folder of .md/.txt files (default: the bundled Tidewell base)."""

    def __init__(
        self,
        folder=None,
        *,
        chunk_size: int = 60,
        overlap: int = 15,
        unit: str = "words",
        index: str = "exact",
        resolve_conflicts: bool = True,
        escalation_contact: str = "a human support agent",
        threshold: float = DEFAULT_THRESHOLD,
        progress: bool | None = None,
        log=None,
        gate="default",
    ):
        if index not in ("exact", "hnsw"):
            raise InputError("index must be 'exact' (FAISS IndexFlatIP) or 'hnsw'.")
        start = time.perf_counter()
        if isinstance(folder, str) and not folder.strip():
            raise KnowledgeBaseError(
                f"folder is an empty string ({folder!r}), which would index the current folder and every folder below it: "
                "give the path of your documents folder, or leave folder out (None) for the bundled Tidewell knowledge base.")
        self.folder = kb_folder() if folder is None else folder
        self.report: LoadReport = load_folder(self.folder)
        self.documents = {d.id: d for d in self.report.documents}
        self.chunks: list[Chunk] = chunk_documents(self.report.documents, chunk_size, overlap, unit)
        if not self.chunks:
            raise KnowledgeBaseError("The documents produced no chunks: are the files empty?")
        self.chunk_size, self.overlap, self.unit = chunk_size, overlap, unit
        t = time.perf_counter()
        self.vectors = embeddings.embed([c.text for c in self.chunks], progress=progress)
        self.embed_seconds = time.perf_counter() - t
        t = time.perf_counter()
        self.index = search.exact_index(self.vectors) if index == "exact" else search.hnsw_index(self.vectors, ef_search=64)
        self.index_seconds = time.perf_counter() - t
        self.index_kind = index
        self.resolve = bool(resolve_conflicts)
        self.escalation_contact = escalation_contact
        self.threshold = float(require_number(threshold, "threshold", low=-1.0, high=1.0))
        self.log = log  # an EventLog (or a file path): every answer() then records one event
        if gate is not None and gate != "default" and not isinstance(gate, Gate):
            raise InputTypeError("gate must be 'default' (the shipped answerability gate), a Gate, or None (threshold only).")
        self.gate = default_gate() if gate == "default" else gate  # decides when answer() is given no threshold
        self.build_seconds = time.perf_counter() - start

    def __repr__(self) -> str:
        return (f"RAGPipeline({len(self.documents)} documents, {len(self.chunks)} chunks of {self.chunk_size} {self.unit} "
                f"(overlap {self.overlap}), FAISS {self.index_kind} index)")

    # -- retrieval ---------------------------------------------------------------------------------------------------
    def _check(self, question, top_k, threshold):
        """(checked question, top_k, threshold, notes). No top_k: DEFAULT_TOP_K, or every chunk when the knowledge base
        has fewer (with a note saying so); a top_k given explicitly must fit the knowledge base."""
        question = require_text(question, "question").strip()
        notes = []
        if top_k is None:
            top_k = min(DEFAULT_TOP_K, len(self.chunks))
            if top_k < DEFAULT_TOP_K:
                notes.append(f"the knowledge base has only {len(self.chunks)} chunk(s), fewer than the usual "
                             f"top_k={DEFAULT_TOP_K}: used {top_k}.")
        else:
            top_k = require_number(top_k, "top_k", low=1, high=len(self.chunks), integer=True)
        threshold = self.threshold if threshold is None else float(require_number(threshold, "threshold", low=-1.0, high=1.0))
        return question, top_k, threshold, notes

    def retrieve(self, question: str, top_k: int | None = None, threshold: float | None = None) -> Retrieval:
        """The top_k chunks (default 3, or all when there are fewer, noted in ``notes``) most similar to the question,
        conflicts resolved, and whether the best is under threshold (the pipeline's own threshold unless one is given)."""
        question, top_k, threshold, notes = self._check(question, top_k, threshold)
        t0 = time.perf_counter()
        q = embeddings.embed([question])
        t1 = time.perf_counter()
        scores, ids = self.index.search(q, top_k)
        t2 = time.perf_counter()
        hits = [Hit(self.chunks[i], float(s), r + 1) for r, (s, i) in enumerate(zip(scores[0], ids[0])) if i >= 0]
        best = hits[0].score if hits else -1.0
        if self.resolve:
            kept, dropped, conflict_notes = resolve_conflicts(hits, self.documents)
        else:
            kept, dropped, conflict_notes = hits, [], []
        return Retrieval(question, kept, dropped, conflict_notes, best, threshold, best < threshold,
                         (t1 - t0) * 1000, (t2 - t1) * 1000, notes=notes)

    # -- prompt ------------------------------------------------------------------------------------------------------
    def build_prompt(self, question: str, hits, template="grounded") -> tuple[str | None, str]:
        """(system message, user message) for a question and its retrieved chunks (``retrieve(...).hits``, or the
        Retrieval itself)."""
        tpl = get_template(template)
        question = require_text(question, "question")
        if isinstance(hits, Retrieval):
            hits = hits.hits
        if hits is None or isinstance(hits, (str, bytes)):
            raise InputTypeError(f"hits must be the retrieved chunks, e.g. rag.retrieve(question).hits, not "
                                 f"{type(hits).__name__}.")
        context = format_context(hits, delimit=tpl.delimit)
        return tpl.system, tpl.user.format(context=context, question=question.strip())

    def escalation_message(self, retrieval: Retrieval) -> str:
        """What the user sees when the system will not answer."""
        if retrieval.gate_probability is not None:
            return (f"Escalate: the answerability gate rates this question {format_rate(retrieval.gate_probability, 0)} likely to be "
                    f"answerable from the knowledge base (it answers from {format_rate(retrieval.gate_cutoff, 0)}). Hand this question to "
                    f"{self.escalation_contact} and log it as a content gap.")
        return (
            f"Escalate: the knowledge base has nothing close enough (best match {retrieval.best_score:.2f} < "
            f"threshold {retrieval.threshold:.2f}). Hand this question to {self.escalation_contact} and log it as a content gap."
        )

    # -- answer ------------------------------------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        *,
        top_k: int | None = None,
        threshold: float | None = None,
        template="grounded",
        backend: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 64,
        seed: int | None = 0,
        generate: bool = True,
        answer_mode: str = "generate",
    ) -> RAGAnswer:
        """Retrieve, let the answerability gate decide (or, given a threshold, the best match's similarity), build the
        prompt and generate a cited answer; log it if a log is attached (previews with generate=False are not logged).

        ``answer_mode="extractive"``: instead of writing an answer, the local model picks the retrieved sentence that
        answers the question (rag.extractive; always the local model, which exposes its token probabilities; the
        prompt and its receipt are still built, for comparison). The default, "generate", writes the answer."""
        started = time.perf_counter()
        if answer_mode not in ANSWER_MODES:
            raise InputError(f"answer_mode must be one of {', '.join(repr(m) for m in ANSWER_MODES)}, not {answer_mode!r}.")
        tpl = get_template(template)
        retrieval = self.retrieve(question, top_k, threshold)
        if threshold is None and self.gate is not None:  # no explicit threshold: the answerability gate decides
            decision = self.gate.decide(self, retrieval.question, [*retrieval.hits, *retrieval.dropped])
            retrieval.gate_probability, retrieval.gate_cutoff = decision.probability, decision.cutoff
            retrieval.abstain = not decision.answer
        t0 = time.perf_counter()
        system, prompt = self.build_prompt(retrieval.question, retrieval.hits, tpl)
        prompt_ms = (time.perf_counter() - t0) * 1000
        timings = {"embed": retrieval.embed_ms, "search": retrieval.search_ms, "prompt": prompt_ms, "generate": 0.0}
        sources = ranked_doc_ids(retrieval.hits)
        tokens, cost = prompt_receipt(system, prompt, backend, max_tokens)
        if retrieval.abstain:
            return self._logged(RAGAnswer(retrieval.question, retrieval, tpl.name, prompt, system, tokens, cost, IDK, None, [],
                                          [], True, self.escalation_message(retrieval), timings), started)
        plan = RAGAnswer(retrieval.question, retrieval, tpl.name, prompt, system, tokens, cost, "", None, sources, [],
                         False, None, timings)
        if not generate:
            return plan
        if answer_mode == "extractive":
            return self.extracted(plan, pick_sentence(retrieval.question, self.candidates(plan)), started=started)
        gen = generate_text(prompt, system=system, backend=backend, temperature=temperature, max_tokens=max_tokens, seed=seed)
        return self.complete(plan, gen, started=started)

    def planned(self, question: str, **kwargs) -> RAGAnswer:
        """answer(question, generate=False, **kwargs) with the event log detached: the first half of the batch path
        (request(), then complete(), which logs the finished answer once)."""
        saved, self.log = self.log, None
        try:
            return self.answer(question, generate=False, **kwargs)
        finally:
            self.log = saved

    def request(self, plan: RAGAnswer, *, temperature: float = 0.0, max_tokens: int = 64, seed: int | None = 0) -> dict | None:
        """The model request (generate() keywords) that finishes ``plan`` (an answer(..., generate=False)), or None when
        the pipeline already refused: with complete(), the batch path of answer() (see evaluation.rag_eval)."""
        if plan.abstained or plan.generation is not None:
            return None
        return {"prompt": plan.prompt, "system": plan.system, "temperature": temperature, "max_tokens": max_tokens,
                "seed": seed}

    def extract_many(self, questions, *, progress: bool = False) -> list[RAGAnswer]:
        """answer(question, answer_mode="extractive") for each question, with the same answers: every question is
        retrieved and gated first, then all their candidate sentences are scored together (pick_sentences reads each
        candidate's prompt once for all the questions that offer it)."""
        if questions is None or isinstance(questions, (str, bytes)):
            raise InputTypeError("questions must be a list of questions, e.g. [row['question'] for row in load_eval()].")
        plans = [self.planned(q, answer_mode="extractive") for q in questions]
        todo = [k for k, plan in enumerate(plans) if not plan.abstained]
        picks = dict(zip(todo, pick_sentences([(plans[k].question, self.candidates(plans[k])) for k in todo],
                                              progress=progress)))
        return [self.extracted(plan, picks[k]) if k in picks else self.complete(plan, None) for k, plan in enumerate(plans)]

    def candidates(self, plan: RAGAnswer) -> list[str]:
        """The whole sentences the retrieved chunks of ``plan`` cover: what an extractive answer picks from."""
        return candidate_sentences(plan.retrieval.hits, self.documents)

    def extracted(self, plan: RAGAnswer, pick, *, started: float | None = None) -> RAGAnswer:
        """The extractive answer for ``plan`` (an answer(..., generate=False)) given the Pick among its candidates():
        the RAGAnswer answer(answer_mode="extractive") returns, logged once. rag.extractive.pick_sentences scores many
        plans' candidates together; the logged latency is then the retrieval and prompt time plus the question's own
        scoring time."""
        timings = {**plan.timings_ms, "generate": pick.seconds * 1000}
        done = RAGAnswer(plan.question, plan.retrieval, plan.template, plan.prompt, plan.system, plan.prompt_tokens,
                         plan.estimated_cost_usd, pick.sentence or IDK, None, plan.sources if pick.sentence else [], [],
                         not pick.sentence, None if pick.sentence else self.escalation_message(plan.retrieval), timings,
                         pick)
        return self._logged(done, started, None if started is not None else sum(timings.values()) / 1000)

    def complete(self, plan: RAGAnswer, gen, *, started: float | None = None) -> RAGAnswer:
        """The answer for ``plan`` given the model's Generation ``gen`` (None when request(plan) was None): the same
        RAGAnswer answer() returns, logged once (plan it with the log detached, see planned()). The logged latency is
        the retrieval and prompt time plus the model's."""
        if gen is None:
            return self._logged(plan, None, sum(plan.timings_ms.values()) / 1000) if plan.abstained else plan
        text = gen.text.strip()
        abstained = is_refusal(text)
        escalation = None
        if abstained:
            escalation = f"Escalate: the model found no answer in the retrieved documents. Hand this question to {self.escalation_contact}."
        timings = {**plan.timings_ms, "generate": gen.latency_s * 1000}
        done = RAGAnswer(plan.question, plan.retrieval, plan.template, plan.prompt, plan.system, gen.prompt_tokens,
                         gen.cost_usd, text, gen, [] if abstained else plan.sources, extract_citations(text, plan.sources),
                         abstained, escalation, timings)
        latency = None if started is not None else sum(timings.values()) / 1000
        return self._logged(done, started, latency)

    def _logged(self, answer: RAGAnswer, started: float | None, latency_s: float | None = None) -> RAGAnswer:
        """Record the answer in the attached event log (if any) and hand it back."""
        if self.log is not None:
            if not isinstance(self.log, EventLog):
                self.log = EventLog(self.log)
            latency = time.perf_counter() - started if latency_s is None else latency_s
            self.log.record(**answer_event(answer, latency_s=latency))
        return answer

    def answer_without_rag(self, question: str, *, backend=None, temperature: float = 0.0, max_tokens: int = 64, seed: int | None = 0):
        """The same question sent to the model with no retrieved context (the 'before RAG' baseline)."""
        return generate_text(**self.without_rag_request(question, temperature=temperature, max_tokens=max_tokens,
                                                        seed=seed), backend=backend)

    @staticmethod
    def without_rag_request(question: str, *, temperature: float = 0.0, max_tokens: int = 64, seed: int | None = 0) -> dict:
        """The generate() keywords answer_without_rag sends (for a harness that sends many at once)."""
        question = require_text(question, "question")
        return {"prompt": question.strip(), "system": None, "temperature": temperature, "max_tokens": max_tokens,
                "seed": seed}

    def search_only(self, question: str, top_k: int | None = None) -> list[Hit]:
        """Top-k chunks (default 3, or all when there are fewer) with no threshold and no conflict rule (for evaluation
        and teaching)."""
        question, top_k, _, _ = self._check(question, top_k, 0.0)
        scores, ids = self.index.search(embeddings.embed([question]), top_k)
        return [Hit(self.chunks[i], float(s), r + 1) for r, (s, i) in enumerate(zip(scores[0], ids[0])) if i >= 0]


def prompt_receipt(system, prompt, backend=None, max_tokens: int = 64) -> tuple[int | None, float | None]:
    """(prompt tokens on the active backend's tokenizer, estimated dollars for prompt + max_tokens), None if unknown."""
    try:
        engine = get_backend(backend)
        text = (system + "\n" if system else "") + prompt
        tokens = count_tokens(text, backend=engine.name, model=None if engine.name == "local" else engine.model)
        info = find_model(engine.model)
        cost = estimate_cost(info.model_id, tokens, max_tokens) if info is not None else None
        return tokens, cost
    except Exception:  # a missing tokenizer must not stop an answer; the receipt just says unknown
        return None, None
