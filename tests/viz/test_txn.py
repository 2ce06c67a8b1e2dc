"""Views of transactions: the failure point on the sequence diagram, locks held and waiting,
the queue growing behind a blocked transaction, throughput lines."""

from __future__ import annotations

from helpers_viz import trace_named, valid

from caplab.txn import Sagas, TwoPhaseCommit
from caplab.txn.report import lock_timeline_data, protocol_marks, queue_data
from caplab.viz.txn import lock_timeline, queue_growth, throughput_lines, txn_sequence


def _blocked():
    tpc = TwoPhaseCommit(seed=1, latency=5)
    tpc.crash_at("after_votes")
    tpc.transaction_async(tpc.place_order("o1"))
    tpc.run_for(30)
    for _ in range(3):
        tpc.local("payment", "charge", {"order": "x", "customer": "alice", "amount": 1})
        tpc.run_for(100)
    return tpc


def test_sequence_marks_the_coordinator_crash_as_the_failure_point():
    """The crash after the votes is a star on the coordinator's lifeline."""
    tpc = _blocked()
    fig = valid(txn_sequence(tpc.sim.trace, protocol_marks(tpc.sim.trace), since_ms=0,
                             until_ms=60))
    failures = trace_named(fig, "failure point").customdata
    assert [row[0] for row in failures] == ["tm", "tm"]
    assert any("crashes after votes" in row[2] for row in failures)


def test_sequence_marks_a_failed_saga_step():
    """A refused step is marked as the failure point on the orchestrator's lifeline."""
    s = Sagas(seed=1)
    s.refuse("inventory", "reserve")
    s.saga(s.order_steps("o1"))
    fig = valid(txn_sequence(s.sim.trace, protocol_marks(s.sim.trace)))
    details = [row[2] for row in trace_named(fig, "failure point").customdata]
    assert any("step_failed step 2" in d for d in details)
    assert len(trace_named(fig, "protocol").customdata) >= 5


def test_lock_timeline_shows_held_locks_still_open_and_waiters():
    """The blocked transaction's locks are open spans; the queued charges are open waits."""
    tpc = _blocked()
    data = lock_timeline_data(tpc)
    fig = valid(lock_timeline(data))
    held = [row for row in trace_named(fig, "locks held").customdata if row[4] == "still open"]
    assert {row[1] for row in held} == {"order", "payment", "inventory"}
    assert {row[0] for row in held} == {"t1"}
    waits = trace_named(fig, "waiting").customdata
    assert len(waits) == 3 and all(row[4] == "still open" for row in waits)
    assert "3 held, 3 waiting now" in fig.layout.title.text


def test_queue_growth_climbs_step_by_step():
    """The payment queue climbs 1, 2, 3 while the coordinator is down."""
    tpc = _blocked()
    fig = valid(queue_growth(queue_data(tpc)))
    line = trace_named(fig, "payment")
    assert list(line.y) == [1, 2, 3, 3]
    assert "peak 3" in fig.layout.title.text


def test_throughput_lines_one_per_participant_count():
    """One line per number of participants, points in latency order."""
    rows = [{"participants": p, "latency_ms": lat, "per_second": 1000 / (2 * lat * p)}
            for p in (1, 3) for lat in (5, 1)]
    fig = valid(throughput_lines(rows))
    assert [t.name for t in fig.data] == ["1 participant", "3 participants"]
    assert list(fig.data[0].x) == [1, 5]
