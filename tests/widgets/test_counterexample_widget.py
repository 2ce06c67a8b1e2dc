"""CounterexampleStepper: step, back and last are wired to the step shown, the readout says the
model's state, and bad input is refused with nothing changed."""

from __future__ import annotations

import pytest

from caplab.check import check_linearizability
from caplab.check.linearizability import LinearizabilityResult
from caplab.course.checking import tiny_history
from caplab.errors import ConfigError
from caplab.widgets import CounterexampleStepper


@pytest.fixture
def stepper():
    h = tiny_history("inversion")
    return CounterexampleStepper(h, check_linearizability(h))


def test_buttons_place_and_undo_operations(stepper):
    """step places put x=1 (state 1); last shows Carol's read as impossible; back undoes."""
    assert stepper.current == 0 and "step 0 of 3" in stepper.readout.value
    stepper.step_button.click()
    assert stepper.current == 1 and stepper.state == "1"
    assert "#1 put(x,1)" in stepper.readout.value and "state 1" in \
        stepper.figure.layout.title.text
    stepper.last_button.click()
    assert stepper.current == 3 and "rejects it in state 1" in stepper.readout.value
    names = [t.name for t in stepper.figure.data]
    stuck = stepper.figure.data[names.index("cannot go next")]
    assert [x for x in stuck.x if x is not None] == [5, 8]
    stepper.back_button.click()
    assert stepper.current == 2 and stepper.status.error is None
    stepper.step(); stepper.step()
    assert stepper.current == 3                      # stays at the last step


def test_checks_the_history_itself_when_given_no_result():
    """Without a result the stepper runs the checker (key-value model)."""
    s = CounterexampleStepper(tiny_history("stale"), step=-1)
    assert s.current == 2 and s.data["final"]


def test_bad_input_is_refused(stepper):
    """A step out of range, or a result without its walk, is refused with a reason."""
    with pytest.raises(ConfigError, match="step must be"):
        stepper.goto(4)
    assert stepper.current == 0
    bare = LinearizabilityResult.from_search("not linearizable", "kv", key="x", prefix=(0,),
                                             bad_ops=(1,))
    with pytest.raises(ConfigError, match="no linearization points"):
        CounterexampleStepper(tiny_history("stale"), bare)
