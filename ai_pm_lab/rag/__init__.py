"""Retrieval-augmented generation from parts: documents, chunking, search, pipeline, evaluation, safety."""
from ai_pm_lab.rag.chunking import Chunk, chunk_documents, split_text
from ai_pm_lab.rag.documents import Document, KnowledgeBaseError, LoadReport, injection_folder, kb_folder, load_eval, load_folder, load_kb
from ai_pm_lab.evaluation.rag import (answer_correct, evaluate_answers, evaluate_retrieval, groundedness, hit_at_k, is_abstention,
                       reciprocal_rank, suggest_threshold, summarize_answers, unsupported_numbers)
from ai_pm_lab.rag.log import EventLog, read_log
from ai_pm_lab.rag.pipeline import (CONFLICT_RULE, DEFAULT_THRESHOLD, IDK, TEMPLATES, Hit, PromptTemplate, RAGAnswer, RAGPipeline,
                       Retrieval, format_context, resolve_conflicts)
from ai_pm_lab.rag.search import KeywordSearch, cosine_top_k, exact_index, hnsw_index, ivf_index, recall_at_k

__all__ = [
    "CONFLICT_RULE", "Chunk", "DEFAULT_THRESHOLD", "Document", "EventLog", "Hit", "IDK", "KeywordSearch", "KnowledgeBaseError",
    "LoadReport", "PromptTemplate", "RAGAnswer", "RAGPipeline", "Retrieval", "TEMPLATES", "answer_correct",
    "chunk_documents", "cosine_top_k", "evaluate_answers", "evaluate_retrieval", "exact_index", "format_context",
    "groundedness", "hit_at_k", "hnsw_index", "injection_folder", "is_abstention", "ivf_index", "kb_folder", "load_eval",
    "load_folder", "load_kb", "read_log", "recall_at_k", "reciprocal_rank", "resolve_conflicts", "split_text", "suggest_threshold",
    "summarize_answers", "unsupported_numbers",
]
