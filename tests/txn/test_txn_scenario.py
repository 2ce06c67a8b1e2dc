"""The panel's scenarios (caplab.txn.scenario): one 2PC order per crash phase and one order
saga per failing step and manager, with their outcomes and checks."""

from __future__ import annotations

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.txn.scenario import CRASH_PHASES, SAGA_STEPS, run_saga, run_twopc


@pytest.mark.parametrize("phase", CRASH_PHASES)
def test_2pc_is_atomic_whatever_the_coordinator_crash_phase(phase):
    """PostgreSQL PREPARE TRANSACTION: a prepared transaction keeps its locks until the
    coordinator's decision, so a crash after the votes blocks others; presumed abort (no
    decision logged) then aborts it, and a logged commit is completed after the restart."""
    sc = run_twopc(phase, seed=2)
    assert sc.ok, [c.explain() for c in sc.checks]
    expected = {None: "committed", "before_prepare": "unknown", "after_votes": "aborted",
                "after_decision": "committed", "during_commit": "committed"}[phase]
    assert sc.outcome == expected
    assert (sc.failure_ms is None) == (phase is None)
    if phase in ("after_votes", "after_decision"):
        assert sc.blocked_ms >= 1000 and sc.waiting_peak >= 2


@pytest.mark.parametrize("step", SAGA_STEPS[1:])
def test_the_seed_manager_breaks_where_the_correct_one_compensates(step):
    """Garcia-Molina & Salem: T1..Tj then Cj..C1. The correct manager compensates in reverse
    and holds every check; the seed manager's run of the same failure is flagged (shipping,
    the last step, leaves it nothing to run after: only the order of compensations)."""
    good = run_saga(step, manager="correct", seed=1)
    bad = run_saga(step, manager="seed", seed=1)
    assert good.ok and good.outcome == "compensated"
    assert not bad.ok and bad.checks[0].valid is False
    assert good.failure_ms == bad.failure_ms


def test_a_saga_resumes_after_an_orchestrator_crash():
    """The saga log is durable: a crash right after 'compensating' resumes compensation."""
    sc = run_saga("inventory", crash_after="compensating")
    assert sc.ok and sc.outcome == "compensated"
    assert "orchestrator crashes after compensating" in sc.failure


def test_bad_scenario_arguments_are_named():
    """Unknown phases, steps, managers and events, and bad times, are refused by name."""
    with pytest.raises(UnknownNameError, match="'later'"):
        run_twopc("later")
    with pytest.raises(ConfigError, match="down_ms"):
        run_twopc(None, down_ms=0)
    with pytest.raises(UnknownNameError, match="'billing'"):
        run_saga("billing")
    with pytest.raises(UnknownNameError, match="'lazy'"):
        run_saga(None, manager="lazy")
    with pytest.raises(UnknownNameError, match="'never'"):
        run_saga(None, crash_after="never")
