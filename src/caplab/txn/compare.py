"""The seed manager beside the correct one: the same random failures, and the end states and
violations each produces.

Each trial runs one shop order saga with one step refused (sometimes a compensation too) under
both managers with the same seed, then classifies the end: the saga's final state, and each
violation the checkers report, by kind. The kinds the seed manager produces and the correct one
never does are the two bugs made visible.

Example:
    >>> table = compare_managers(trials=6, seed=1)
    >>> table["correct"]["violations"]
    {}
    >>> table["only_seed"]    # doctest: +NORMALIZE_WHITESPACE
    ['a shipment without an active, stocked order', 'a step ran after an earlier one failed',
     'compensations not in reverse order']
"""

from __future__ import annotations

import random

from ..errors import ConfigError
from .check import check_atomicity, check_invariants
from .saga_system import Sagas

__all__ = ["compare_managers", "VIOLATION_KINDS"]

#: reason fragment -> violation kind
VIOLATION_KINDS = {
    "ran after step": "a step ran after an earlier one failed",
    "not the reverse": "compensations not in reverse order",
    "never compensated": "not atomic: a completed step left",
    "times at": "a step ran twice",
    "shipment of": "a shipment without an active, stocked order",
    "not conserved": "stock or money not conserved",
}

_STEPS = (("payment", "charge"), ("inventory", "reserve"), ("shipping", "schedule"))
_COMPENSATIONS = (("order", "cancel_order"), ("payment", "refund"), ("inventory", "release"))


def _kinds(reasons) -> list[str]:
    out = []
    for reason in reasons:
        for fragment, kind in VIOLATION_KINDS.items():
            if fragment in reason:
                out.append(kind)
                break
    return out


def _trial(manager: str, seed: int, failing, comp_failing) -> tuple[str, list[str]]:
    s = Sagas(seed=seed, manager=manager, compensation_retries=2)
    s.refuse(*failing)
    if comp_failing is not None:
        s.refuse(*comp_failing, times=None)
    s.saga(s.order_steps("o1"))
    s.run_for(1000)
    reasons = check_atomicity(s).reasons + check_invariants(s).reasons
    return s.records["s1"].state, _kinds(reasons)


def compare_managers(*, trials: int = 20, seed: int = 0, compensation_failures: float = 0.3
                     ) -> dict:
    """Run ``trials`` random failures under both managers; count end states and violations.

    Args:
        trials: how many random failures (each run under both managers, same seed).
        seed: the seed of the draw (and of each trial's system).
        compensation_failures: the share of trials where one compensation also always fails.

    Returns:
        ``{"correct": {"states": {...}, "violations": {...}}, "seed": {...}, "only_seed":
        [violation kinds the seed manager produced and the correct one never did]}``.
    """
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ConfigError(f"trials must be a whole number >= 1, got {trials!r}")
    rng = random.Random(seed)
    table = {m: {"states": {}, "violations": {}} for m in ("correct", "seed")}
    for n in range(trials):
        failing = _STEPS[rng.randrange(len(_STEPS))]
        comp = (_COMPENSATIONS[rng.randrange(len(_COMPENSATIONS))]
                if rng.random() < compensation_failures else None)
        for manager in ("correct", "seed"):
            state, kinds = _trial(manager, seed + n, failing, comp)
            row = table[manager]
            row["states"][state] = row["states"].get(state, 0) + 1
            for kind in sorted(set(kinds)):
                row["violations"][kind] = row["violations"].get(kind, 0) + 1
    table["only_seed"] = sorted(set(table["seed"]["violations"])
                                - set(table["correct"]["violations"]))
    return table
