"""One-transaction scenarios for a panel: a 2PC order with the coordinator crashed at a chosen
phase, or an order saga with a chosen step failing under the seed or the correct manager.

Each scenario builds a fresh seeded system, runs the story through the failure and the
recovery, and returns a :class:`Scenario`: the system (for the views), the failure point, the
client's outcome and the checkers' results (:class:`~caplab.txn.CheckResult`). The panel
(:class:`caplab.widgets.TxnPanel`) only picks the arguments and draws what comes back.

Example:
    >>> sc = run_twopc("after_votes", seed=1)
    >>> sc.outcome, [c.valid for c in sc.checks]
    ('aborted', [True, True, True])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, UnknownNameError
from .check import check_atomicity, check_invariants, lock_statistics
from .saga_system import MANAGERS, Sagas
from .twopc import PHASES
from .twopc_system import TwoPhaseCommit

__all__ = ["Scenario", "run_twopc", "run_saga", "SAGA_STEPS", "CRASH_PHASES"]

#: where the 2PC coordinator can crash (None: it does not)
CRASH_PHASES = (None,) + PHASES
#: the order saga's steps, by service (None: no step fails)
SAGA_STEPS = (None, "order", "payment", "inventory", "shipping")
_ACTIONS = {"order": "create_order", "payment": "charge", "inventory": "reserve",
            "shipping": "schedule"}


@dataclass
class Scenario:
    """What a scenario did: the system, the failure point, the outcome and the checks.

    ``failure_ms`` is when the failure happened (None: no failure); ``blocked_ms`` how long
    participants stayed prepared in doubt (2PC); ``waiting_peak`` the longest queue of other
    transactions behind the locks.
    """

    kind: str                       # "2pc" or "saga"
    title: str
    failure: str
    failure_ms: int | None
    outcome: str
    checks: list
    blocked_ms: int = 0
    waiting_peak: int = 0
    system: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Every check holds."""
        return all(c.valid is True for c in self.checks)


def _failure_time(trace, words) -> int | None:
    for e in trace.events:
        if e.kind in ("txn", "saga", "crash") and any(w in (e.detail or e.kind) for w in words):
            return e.time_ms
    return None


def run_twopc(crash_at: str | None = None, *, seed: int = 1, down_ms: int = 1200,
              others: int = 3) -> Scenario:
    """One order by 2PC over order, payment and inventory, with the coordinator crashing at
    ``crash_at`` and restarting ``down_ms`` later; ``others`` local charges on the same account
    queue behind its locks meanwhile.

    Args:
        crash_at: one of :data:`~caplab.txn.PHASES`, or None (no crash).
        seed: the seed; down_ms: how long the coordinator stays down (ms > 0).
        others: other transactions started on the payment row while it is locked (0..10).

    Raises:
        UnknownNameError / ConfigError: a bad phase, time or count, named.
    """
    if crash_at not in CRASH_PHASES:
        raise UnknownNameError("phase", crash_at, CRASH_PHASES)
    if isinstance(down_ms, bool) or not isinstance(down_ms, int) or down_ms <= 0:
        raise ConfigError(f"down_ms must be a whole number of milliseconds > 0, got {down_ms!r}")
    if isinstance(others, bool) or not isinstance(others, int) or not 0 <= others <= 10:
        raise ConfigError(f"others must be a whole number from 0 to 10, got {others!r}")
    tpc = TwoPhaseCommit(participants=3, seed=seed)
    if crash_at:
        tpc.crash_at(crash_at)
    tpc.transaction_async(tpc.place_order("o1"), txid="t1")
    tpc.run_for(20)
    for _ in range(others):
        tpc.local("payment", "charge", {"order": "x", "customer": "alice", "amount": 1})
        tpc.run_for(down_ms // max(others, 1) // 2)
    tpc.run_for(max(down_ms - tpc.now, 1))
    if not tpc.coordinator.up:
        tpc.restart(tpc.coordinator.name)
    tpc.run_for(1500)
    states = tpc.participant_states()["t1"]
    kinds = set(states.values())
    outcome = kinds.pop() if len(kinds) == 1 else "mixed: " + ", ".join(
        f"{s} {st}" for s, st in states.items())
    locks = lock_statistics(tpc)
    failure = f"coordinator crashes {crash_at.replace('_', ' ')}" if crash_at else "no failure"
    return Scenario("2pc", f"2PC, {failure}", failure,
                    _failure_time(tpc.sim.trace, ("crashes",)) if crash_at else None,
                    outcome,
                    [check_atomicity(tpc), check_invariants(tpc), locks],
                    blocked_ms=locks.details["blocked"]["max_ms"],
                    waiting_peak=max(s["max_queue"] for s in locks.details["services"].values()),
                    system=tpc)


def run_saga(fail_step: str | None = None, *, manager: str = "correct", seed: int = 1,
             crash_after: str | None = None) -> Scenario:
    """One order saga (create order, charge, reserve, schedule) with the step of
    ``fail_step`` refused, under the ``manager`` (``"correct"`` or ``"seed"``); optionally the
    orchestrator crashes after logging ``crash_after`` and restarts.

    Raises:
        UnknownNameError: a bad step, manager or event, named.
    """
    from .saga_system import EVENTS
    if fail_step not in SAGA_STEPS:
        raise UnknownNameError("saga step", fail_step, SAGA_STEPS)
    if manager not in MANAGERS:
        raise UnknownNameError("saga manager", manager, sorted(MANAGERS))
    if crash_after is not None and crash_after not in EVENTS:
        raise UnknownNameError("saga event", crash_after, EVENTS)
    s = Sagas(seed=seed, manager=manager)
    if fail_step:
        s.refuse(fail_step, _ACTIONS[fail_step])
    if crash_after:
        s.crash_after(crash_after)
    s.saga_async(s.order_steps("o1"), saga="o1")
    s.run_for(500)
    if not s.orchestrator.up:
        s.restart(s.orchestrator.name)
    s.run_for(1500)
    rec = s.records["o1"]
    failure = (f"{fail_step}.{_ACTIONS[fail_step]} refused" if fail_step else "no step fails")
    if crash_after:
        failure += f"; orchestrator crashes after {crash_after.replace('_', ' ')}"
    when = _failure_time(s.sim.trace, ("step_failed", "crash"))
    return Scenario("saga", f"saga ({manager} manager), {failure}", failure, when, rec.state,
                    [check_atomicity(s), check_invariants(s)], system=s)
