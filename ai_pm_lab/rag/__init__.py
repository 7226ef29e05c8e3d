"""Retrieval-augmented generation from parts: documents (dates, file readers, versions), chunking, search, prompts,
pipeline, safety, event log.

How well it works is measured with ai_pm_lab.evaluation (retrieval metrics, answer scorers, rag_eval)."""
from ai_pm_lab.rag.chunking import Chunk, chunk_documents, split_text
from ai_pm_lab.rag.documents import (
    Document,
    KnowledgeBaseError,
    LoadReport,
    injection_folder,
    kb_folder,
    load_eval,
    load_folder,
    load_kb,
)
from ai_pm_lab.rag.gate import Gate, default_gate
from ai_pm_lab.rag.log import EventLog, read_log
from ai_pm_lab.rag.pipeline import (
    CONFLICT_RULE,
    DEFAULT_THRESHOLD,
    Hit,
    RAGAnswer,
    RAGPipeline,
    Retrieval,
    resolve_conflicts,
)
from ai_pm_lab.rag.prompts import IDK, TEMPLATES, PromptTemplate, format_context, get_template
from ai_pm_lab.rag.search import KeywordSearch, cosine_top_k, exact_index, hnsw_index, ivf_index, recall_at_k

__all__ = [
    "CONFLICT_RULE", "Chunk", "DEFAULT_THRESHOLD", "Document", "EventLog", "Gate", "Hit", "IDK", "KeywordSearch", "KnowledgeBaseError",
    "LoadReport", "PromptTemplate", "RAGAnswer", "RAGPipeline", "Retrieval", "TEMPLATES", "chunk_documents", "cosine_top_k", "default_gate",
    "exact_index", "format_context", "get_template", "hnsw_index", "injection_folder", "ivf_index", "kb_folder", "load_eval",
    "load_folder", "load_kb", "read_log", "recall_at_k", "resolve_conflicts", "split_text",
]
