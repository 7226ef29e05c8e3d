"""Language models: one generate() over the local model and the hosted SDKs, generate_many() for many requests at once,
tokens, and next-token probabilities."""
from ai_pm_lab.llm.backends import describe_backend, generate, generate_many, get_backend
from ai_pm_lab.llm.base import Backend, Generation, RawReply, build_messages

__all__ = ["Backend", "Generation", "RawReply", "build_messages", "describe_backend", "generate", "generate_many",
           "get_backend"]
