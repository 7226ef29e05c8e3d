"""Week 2: what LLMs are good and bad at, context limits, inconsistency, cost, and three simple builds."""
