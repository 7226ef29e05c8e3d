"""AI PM Lab: the course package behind the notebooks (models, tokens, costs, retrieval, widgets)."""
from ai_pm_lab.catalog import default_model, model_info, models, price_table
from ai_pm_lab.cost import estimate_cost, set_spend_cap, spend_tracker
from ai_pm_lab.errors import ConfigurationError, ContextWindowError, CourseError, ProviderError, SpendCapError
from ai_pm_lab.llm import Generation, describe_backend, generate, get_backend
from ai_pm_lab.llm.tokens import compare_tokenizers, count_tokens, token_pieces
from ai_pm_lab.plots import use_accessible_charts
from ai_pm_lab.tables import use_readable_tables

__all__ = [
    "ConfigurationError", "ContextWindowError", "CourseError", "Generation", "ProviderError", "SpendCapError",
    "compare_tokenizers", "count_tokens", "default_model", "describe_backend", "estimate_cost", "generate",
    "get_backend", "model_info", "models", "price_table", "set_spend_cap", "spend_tracker", "token_pieces",
    "use_accessible_charts", "use_readable_tables",
]
__version__ = "0.1.0"

use_readable_tables()  # in a notebook kernel: the course's tables show 33.3% and $1,200.00, not 0.333333 and 1200.000000
use_accessible_charts()  # charts: alt text from their own labels, and a palette colour-blind readers can tell apart
