"""The one refusal detector: every labelled example in data/evaluation/refusal_examples.csv is classified as labelled."""
import pytest

from ai_pm_lab.evaluation.refusals import is_refusal, refusal_examples, refusal_phrases

EXAMPLES = refusal_examples()


def test_the_labelled_set_has_both_classes_and_the_cases_that_motivated_it():
    labels = dict(EXAMPLES)
    assert len(EXAMPLES) >= 40 and 15 <= sum(labels.values()) <= len(EXAMPLES) - 15
    assert labels["I'm not sure."] is True
    assert labels["Prices may rise in the future."] is False and labels["We were unable to ship the order on time."] is False


@pytest.mark.parametrize("text,expected", EXAMPLES, ids=[t[:40] for t, _ in EXAMPLES])
def test_labelled_example(text, expected):
    assert is_refusal(text) is expected


def test_every_phrase_is_caught_on_its_own_and_only_as_whole_words():
    for phrase in refusal_phrases():
        assert is_refusal(f"Well, {phrase.upper()}."), phrase
        assert not is_refusal(f"x{phrase}x"), phrase


def test_apostrophes_and_spacing_vary():
    assert is_refusal("I don’t know") and is_refusal("i dont know") and is_refusal("I do  not\nknow")
    assert not is_refusal("I know") and not is_refusal("")


@pytest.mark.parametrize("bad", [None, 42, b"I don't know", ["I don't know"]])
def test_non_text_is_a_clear_error(bad):
    with pytest.raises(TypeError, match="answer"):
        is_refusal(bad)
