"""A stand-in for ai_pm_lab.Generation, so RAG tests can script the model's answer."""
from dataclasses import dataclass


@dataclass
class FakeGen:
    """The fields of a Generation that the RAG code reads."""

    text: str
    prompt_tokens: int = 10
    completion_tokens: int = 5
    latency_s: float = 0.01
    cost_usd: float = 0.0

    def receipt(self):
        return "fake receipt"
