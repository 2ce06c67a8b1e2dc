"""The claims of the step-through sections of notebooks 03 (the rollback animation) and 06 (the
counterexample stepper), computed by caplab.course and asserted here."""

from __future__ import annotations

import pytest

from caplab.check import check_linearizability
from caplab.course import checking, cp
from caplab.course.animation import rollback_moments
from caplab.errors import ConfigError


def test_notebook03_rollback_cuts_back_the_uncommitted_w1_write():
    """Before the rollback the old primary holds x='lost' uncommitted in term 1 where the new
    primary has a term-2 entry; after it, 'lost' is cut off (MongoDB: Rollbacks During Replica
    Set Failover)."""
    f1 = cp.failover(seed=1, w=1)
    rb = rollback_moments(f1.cluster)
    assert (rb.node, rb.source) == (f1.old_primary, f1.new_primary)
    assert rb.uncommitted_before == ["lost"] and rb.cut_values == ["lost"]
    assert "lost" not in rb.values_after and rb.common_index == 2
    assert rb.terms_before[rb.node] == 1 and rb.terms_before[rb.source] == 2
    assert f1.heal_ms < rb.rollback_ms <= f1.heal_ms + 400   # inside the animation's stretch


def test_a_run_without_rollback_says_so():
    """w: majority on a healthy set: nothing to animate, and the error says what to use."""
    c = cp._started(1)
    with pytest.raises(ConfigError, match="no rollback"):
        rollback_moments(c)


def test_notebook06_inversion_steps():
    """Porcupine's walk of the inversion: put at 0 ms, Bob's read at 2 ms, Carol's read stuck."""
    inv = checking.tiny_history("inversion")
    steps, stuck = checking.counterexample_steps(inv, check_linearizability(inv))
    assert [(s["point_ms"], s["state"]) for s in steps] == [(0, "1"), (2, "1")]
    assert [s["id"] for s in stuck] == [2] and "rejects it in state 1" in stuck[0]["reason"]
