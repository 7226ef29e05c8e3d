"""Scorers (ai_pm_lab.evaluation.scorers): yes/no polarity and JSON extraction."""
import json

import pytest

from ai_pm_lab.evaluation import scorers


@pytest.mark.parametrize("answer", ["Yes — only annual Business and Enterprise plans.",
                                    "Yes, but only on annual Business and Enterprise plans."])
def test_only_does_not_turn_a_yes_into_a_no(answer):
    assert scorers.answer_correct(answer, "yes, on annual Business and Enterprise plans")
    assert not scorers.answer_correct(answer, "no")


@pytest.mark.parametrize("answer", ["No.", "It is not included.", "You can't.", "We cannot do that.",
                                    "It won’t renew.", "Refunds are never given.", "That isn't possible."])
def test_a_negated_answer_still_reads_as_no(answer):
    assert scorers.answer_correct(answer, "no")
    assert not scorers.answer_correct(answer, "yes")


def many_braces_answer() -> str:
    """About 4 KB of prose full of braces around one JSON object, as a chatty model writes it."""
    noise = "".join(f"set {{x{i}}} to {{value}} and {{{i}}}; " for i in range(70))
    return noise + 'Result: {"label": "refund", "items": [{"id": 1}, {"id": 2}]} ' + noise


def test_extract_json_finds_the_object_in_a_long_answer_full_of_braces():
    answer = many_braces_answer()
    assert len(answer) > 4000 and answer.count("{") > 400
    assert scorers.extract_json(answer) == {"label": "refund", "items": [{"id": 1}, {"id": 2}]}


def test_extract_json_tries_each_opening_brace_once(monkeypatch):
    """At most one decode attempt per '{' (the old search tried every '{' with every later '}': cubic time)."""
    calls = []
    real = json.JSONDecoder.raw_decode

    def counting(self, s, *args, **kwargs):
        calls.append(1)
        return real(self, s, *args, **kwargs)

    monkeypatch.setattr(json.JSONDecoder, "raw_decode", counting)  # json.loads goes through it too
    answer = many_braces_answer()
    assert scorers.extract_json(answer) is not None
    assert len(calls) <= answer.count("{")


@pytest.mark.parametrize("answer, expected", [
    ('text {"a": 1} more', {"a": 1}),
    ("{not json}", None),
    ('```json\n{"a": {"b": [1, 2]}}\n```', {"a": {"b": [1, 2]}}),
    ('[{"a": 1}]', {"a": 1}),               # an object inside a list: the first object
    ('{"a": 1} then {"b": 2}', {"a": 1}),  # the first of two
    ('{"a": "{x}"}', {"a": "{x}"}),        # braces inside a string
    ("no json here", None),
    ("", None),
])
def test_extract_json_cases(answer, expected):
    assert scorers.extract_json(answer) == expected
