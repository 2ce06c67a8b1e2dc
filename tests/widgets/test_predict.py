"""Predict: the result stays closed until a choice is recorded and revealed; verify explains a
seed that does not show a claim instead of a bare AssertionError."""

from __future__ import annotations

import pytest

from caplab.course.verify import ClaimNotShown, verify
from caplab.errors import ConfigError
from caplab.widgets import Predict
from caplab.widgets.predict import predictions


def test_result_is_closed_until_reveal():
    """Run All: the result cell shows only 'make your prediction' and fn has not run."""
    ran = []
    q = Predict("Acknowledged?", ["yes", "no"], answer="no")
    q.result(lambda: ran.append(1))
    assert ran == [] and not q.revealed
    assert q.reveal_button.disabled              # nothing chosen: reveal is off
    with pytest.raises(ConfigError, match="choose an answer first"):
        q.reveal()
    assert ran == []


def test_reveal_records_the_choice_then_runs_the_result():
    """The choice is recorded (and locked) before the result function runs."""
    seen = []
    q = Predict("Acknowledged?", ["yes", "no"], answer=1, explain="it waits for a majority")
    q.result(lambda: seen.append(list(predictions())[-1]["choice"]))
    q.options.value = "yes"                       # a click on a choice
    assert not q.reveal_button.disabled
    q.reveal_button.click()
    assert seen == ["yes"] and q.correct is False
    assert "the run shows: no" in q.feedback.value and "majority" in q.feedback.value
    assert q.options.disabled
    with pytest.raises(ConfigError, match="already revealed"):
        q.choose("no")
    late = []
    q.result(lambda: late.append(1))             # a result cell run after the reveal opens
    assert late == [1]


def test_bad_choices_are_refused():
    """Fewer than two choices, or an answer that is not a choice, name the problem."""
    with pytest.raises(ConfigError, match="at least two"):
        Predict("?", ["only"])
    with pytest.raises(ConfigError, match="not a choice"):
        Predict("?", ["a", "b"], answer="c")


def test_verify_is_silent_when_the_claim_holds_and_raises_for_the_story_seed():
    """A holding claim shows nothing; a broken claim with the story's seed is a regression."""
    assert verify(True, "x", seed=1) is None
    assert verify(lambda: True, "x", seed=5) is None
    with pytest.raises(ClaimNotShown, match="seed 1 should show: a dirty read"):
        verify(False, "a dirty read", seed=1)


def test_verify_explains_another_seed(monkeypatch):
    """Another seed that does not show the effect gets a note, not an AssertionError."""
    import IPython.display
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    verify(False, "a dirty read", seed=2, otherwise="It needs a race.")
    assert len(shown) == 1
    note = shown[0].data
    assert "Seed 2 does not show this" in note and "a dirty read" in note
    assert "It needs a race." in note and "seed 1" in note
