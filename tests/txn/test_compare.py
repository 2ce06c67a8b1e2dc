"""The seed manager beside the correct one, over random failures."""

from __future__ import annotations

import pytest

from caplab.errors import ConfigError
from caplab.txn.compare import compare_managers


def test_the_seed_manager_produces_end_states_the_correct_one_never_does():
    """Same failures, same seeds: only the seed manager runs steps after a failure, undoes
    them in forward order and leaves a shipment without its order (Garcia-Molina & Salem:
    T1..Tj then Cj..C1, nothing after Tj)."""
    table = compare_managers(trials=30, seed=3)
    assert table["correct"]["violations"] == {}
    assert set(table["only_seed"]) == {"a step ran after an earlier one failed",
                                       "compensations not in reverse order",
                                       "a shipment without an active, stocked order"}
    assert sum(table["correct"]["states"].values()) == sum(table["seed"]["states"].values()) \
        == 30


def test_compare_refuses_a_bad_trial_count():
    """trials must be a whole number >= 1."""
    with pytest.raises(ConfigError, match="trials"):
        compare_managers(trials=0)
