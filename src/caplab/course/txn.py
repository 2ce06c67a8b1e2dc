"""Scenarios of notebook 07 (transactions across services): two-phase commit blocking behind a
crashed coordinator and recovering by presumed abort; a saga compensating in reverse order; the
source notes' seed manager against the correct one; forward recovery with another hotel; the
same order choreographed by events, by direct messages and on the Kafka-like log.

Each function builds a fresh seeded system from :mod:`caplab.txn`, runs one story and returns
its facts as a frozen dataclass (with the system, for drawing); ``tests/course/test_txn_course.py``
asserts them.

Example:
    >>> f = twopc_blocking(seed=1)
    >>> f.queue, f.states_after_restart["payment"]
    ([1, 2, 3, 4], 'aborted')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..txn import Choreography, Sagas, TwoPhaseCommit, check_atomicity, check_invariants
from ..txn.compare import compare_managers
from ..txn.measure import twopc_grid

__all__ = ["BlockingFacts", "twopc_blocking", "CompensationFacts", "saga_compensation",
           "managers_compared", "ForwardRecoveryFacts", "forward_recovery", "ChoreographyFacts",
           "choreography_on_bus", "CostFacts", "twopc_cost"]


@dataclass(frozen=True)
class BlockingFacts:
    """2PC with the coordinator crashed after every participant voted yes.

    ``queue``: how many other transactions wait for the payment service's locks, sampled every
    ``sample_ms``; ``blocked``: service -> prepared transactions it cannot decide alone.
    """

    happy_states: dict
    blocked: dict
    lock_holder: str | None
    queue: list
    sample_ms: int
    states_after_restart: dict
    waiting_after_restart: list
    atomic: bool | None
    invariants: bool | None
    system: Any = field(repr=False, compare=False)


def twopc_blocking(seed: int = 1, *, samples: int = 4, sample_ms: int = 500) -> BlockingFacts:
    """A first order commits everywhere; a second one's coordinator crashes after the votes.

    The participants stay prepared and keep their row locks (PostgreSQL: a prepared
    transaction "continues to hold whatever locks it held"); another application's charge on
    the same account queues up every ``sample_ms``. Then the coordinator restarts with no
    decision in its log: presumed abort, and the queue drains.
    """
    happy = TwoPhaseCommit(participants=3, seed=seed)
    happy.transaction(happy.place_order("o1", amount=30))
    happy.run_for(100)          # the last commit messages arrive (atomic, not simultaneous)
    happy_states = happy.participant_states()["t1"]
    tpc = TwoPhaseCommit(participants=3, seed=seed)
    tpc.crash_at("after_votes")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.run_for(50)
    blocked = tpc.blocked()
    holder = tpc.service("payment").store.lock_holder("acct:alice")
    queue = []
    for _ in range(samples):
        tpc.local("payment", "charge", {"order": "x", "customer": "alice", "amount": 1})
        tpc.run_for(sample_ms)
        queue.append(len(tpc.waiting("payment")))
    tpc.restart("tm")
    tpc.run_for(1000)
    return BlockingFacts(dict(happy_states), blocked, holder, queue, sample_ms,
                         dict(tpc.participant_states()["t1"]), tpc.waiting("payment"),
                         check_atomicity(tpc).valid, check_invariants(tpc).valid, tpc)


@dataclass(frozen=True)
class CompensationFacts:
    """A saga whose third step fails: what ran, in what order, and the end state."""

    outcome: str
    error: str | None
    steps_done: list
    compensated: list
    state: str
    balance_after: int
    order_after: Any
    atomic: bool | None
    system: Any = field(repr=False, compare=False)


def saga_compensation(seed: int = 1) -> CompensationFacts:
    """Order, charge, reserve stock (none left: fails), ship: the correct manager refunds the
    charge, then cancels the order, in reverse order (Garcia-Molina & Salem: T1..Tj, Cj..C1)."""
    s = Sagas(seed=seed, initial={"inventory": {"stock:apple": 0}})
    r = s.saga(s.order_steps("o1"))
    rec = s.records["s1"]
    done = [e[1] for e in _events(rec) if e[0] == "step_done"]
    compensated = [e[1] for e in _events(rec) if e[0] == "compensated" and e[1] is not None]
    return CompensationFacts(r.outcome, r.error, done, compensated, rec.state,
                             s.service("payment").store.get("acct:alice"),
                             s.service("order").store.get("order:o1"),
                             check_atomicity(s).valid, s)


def _events(record) -> list:
    """``(kind, step index)`` of a saga's log, in order."""
    return [(kind, index) for _, kind, index, _ in record.events]


def managers_compared(seed: int = 1, *, trials: int = 20) -> dict:
    """The seed manager and the correct one on the same random failures (see
    :func:`caplab.txn.compare.compare_managers`)."""
    return compare_managers(trials=trials, seed=seed)


@dataclass(frozen=True)
class ForwardRecoveryFacts:
    """A trip whose hotel fails: another hotel in the same city is offered."""

    accepted: bool
    outcome: str
    offered_room_holder: Any
    flight_seat_holder: Any
    compensated: list
    atomic: bool | None
    system: Any = field(repr=False, compare=False)


def forward_recovery(seed: int = 1, *, accept: bool = True) -> ForwardRecoveryFacts:
    """Flight booked, hotel H1 refuses: the orchestrator offers H2 (same city) before
    cancelling anything; the customer accepts (the trip completes) or declines (the flight is
    cancelled). Azure, Compensating Transaction pattern: the customer, not the system,
    decides."""
    s = Sagas("travel", seed=seed)
    s.refuse("hotel", "book_room")
    r = s.saga(s.trip_steps("trip1", hotel="H1"), accept_offer=accept)
    rec = s.records["s1"]
    compensated = [e[1] for e in _events(rec) if e[0] == "compensated" and e[1] is not None]
    return ForwardRecoveryFacts(accept, r.outcome, s.service("hotel").store.get("room:H2:101"),
                                s.service("flight").store.get("seat:F1:1A"), compensated,
                                check_atomicity(s).valid, s)


@dataclass(frozen=True)
class ChoreographyFacts:
    """The order saga without a manager: events between the services, two ways.

    ``direct_*``: events as direct messages (at most once), the one from payment to inventory
    lost. ``bus_*``: events on the Kafka-like log, inventory's consumer crashing after it
    handled its event and before it committed its offset. ``clean_*``: no fault.
    """

    clean_direct_ms: int
    clean_bus_ms: int
    direct_outcome: str
    direct_charged: Any
    direct_reserved: Any
    direct_atomic: bool | None
    bus_outcome: str
    redelivered: int
    duplicates: dict
    reserve_commits: int
    bus_same_rows: bool
    bus_atomic: bool | None
    bus_invariants: bool | None
    system: Any = field(repr=False, compare=False)


def _settle_ms(c) -> int:
    op = next(op for op in c.history.ops if op.op == "order")
    return op.complete_ms - op.invoke_ms


def choreography_on_bus(seed: int = 1, *, down_ms: int = 300) -> ChoreographyFacts:
    """The same order choreographed by direct messages and on the bus, each with its fault.

    Direct messages are sent once: the event from payment to inventory is lost, the order
    stays charged and not reserved, and nobody notices (there is no manager to time out).
    On the log, inventory's consumer handles its event and crashes before committing its
    offset: the event is delivered again (Kafka: commit after processing is at-least-once),
    and inventory, remembering the events it handled (microservices.io *Idempotent
    Consumer*), reserves once. microservices.io *Saga*: in choreography "each local
    transaction publishes domain events that trigger local transactions in other services".
    """
    clean = {}
    for transport in ("direct", "bus"):
        c = Choreography(seed=seed, transport=transport)
        c.place_order("o1")
        c.run_for(1500)
        clean[transport] = c
    lost = Choreography(seed=seed)
    lost.world.network.set_loss(1.0, src="payment", dst="inventory")
    r_lost = lost.place_order("o1")
    lost.run_for(5000)
    bus = Choreography(seed=seed, transport="bus")
    bus.bus.crash_consumer_before_commit("inventory", down_ms)
    r_bus = bus.place_order("o1")
    bus.run_for(1500)
    reserves = [e for e in bus.service("inventory").store.log
                if e[2] == "commit" and e[3] == "o1.2"]
    return ChoreographyFacts(
        _settle_ms(clean["direct"]), _settle_ms(clean["bus"]), r_lost.outcome,
        lost.service("payment").store.get("paid:o1"),
        lost.service("inventory").store.get("reserved:o1:apple"),
        check_atomicity(lost).valid, r_bus.outcome, bus.bus.redelivered,
        {n: s.duplicates for n, s in bus.services.items() if s.duplicates},
        len(reserves), bus.data() == clean["bus"].data(), check_atomicity(bus).valid,
        check_invariants(bus).valid, bus)


@dataclass(frozen=True)
class CostFacts:
    """Two-phase commit measured: closed-loop orders for 1 to 4 participants and 1, 5 and 10
    ms one-way latency. ``rows``: the figures of each run (see
    :func:`caplab.txn.measure.twopc_throughput`); the rest is read off them."""

    rows: list
    held_is_two_latencies: bool
    same_throughput_from_two: bool
    hot_row_factor: float
    latency_factor: float


def twopc_cost(seed: int = 1, *, transactions: int = 100) -> CostFacts:
    """What holding locks across services costs. Every order that charges the customer also
    credits the shop's account, a row every transaction locks from its prepare to the
    decision: two one-way latencies, whatever the number of participants (they are asked in
    parallel). So throughput is about one over that hold time: it falls with the latency,
    drops once payment (and its hot row) takes part, and does not fall further with a third
    or fourth participant."""
    rows = twopc_grid(participants=(1, 2, 3, 4), latencies=(1, 5, 10),
                      transactions=transactions, seed=seed)
    by = {(r["participants"], r["latency_ms"]): r for r in rows}
    return CostFacts(
        rows,
        all(r["lock_held_mean_ms"] == 2 * r["latency_ms"] for r in rows),
        all(len({by[(p, lat)]["per_second"] for p in (2, 3, 4)}) == 1 for lat in (1, 5, 10)),
        round(by[(1, 5)]["per_second"] / by[(2, 5)]["per_second"], 1),
        round(by[(3, 1)]["per_second"] / by[(3, 10)]["per_second"], 1))
