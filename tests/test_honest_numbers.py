"""The lesson prose check (notebooks/conftest.py) finds figures no cell printed, and accepts printed ones."""
from ai_pm_lab.testing.honest_numbers import figures, unsupported_claims


def test_figures_are_read_in_canonical_form():
    assert figures("a 225× spread, 44.4 % of answers, 1,600 tokens, 3x faster, one token") == ["225×", "44.4%", "1600tokens", "3×"]


def test_a_figure_no_cell_printed_is_reported():
    assert unsupported_claims(["The bill can differ 100× between models."], "spread: 225×") == ["100×"]
    assert unsupported_claims(["Up to 1,600 tokens fit."], "window 2048 tokens") == ["1600tokens"]


def test_printed_figures_code_and_comments_pass():
    printed = "spread: 225x\nrefused 44% of questions\nprompt: 1600 tokens"
    assert unsupported_claims(["The bill differs 225× here; 44 % refused; 1,600 tokens."], printed) == []
    assert unsupported_claims(["Try `top_k=5` and `50%` in code", "<!-- 90% -->"], "") == []


def test_vague_multipliers_count_as_claims():
    assert unsupported_claims(["The local model is a thousand times smaller."], "") == ["'a thousand times'"]
    assert unsupported_claims(["hundreds of times larger"], "") == ["'hundreds of times'"]


def test_discussion_scenarios_are_hypothetical_but_claims_after_them_are_not():
    cell = "## PM takeaways\n* costs differ 9×\n\n## Discussion questions\n1. If a bot answers 95% ...\n\n## Next\n* 7% more"
    assert unsupported_claims([cell], "") == ["9×", "7%"]
