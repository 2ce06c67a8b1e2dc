"""Known-answer tests of the bus checkers on small hand-written histories."""

from __future__ import annotations


from caplab.bus.check import (CheckResult, check_delivery, check_duplicated, check_effect,
                              check_lag, check_lost, check_reordered, lag_over_time)
from caplab.history.record import History


class H:
    """A tiny history builder: produce(t0, t1, partition, base, *ids), poll(t, *records)."""

    def __init__(self):
        self.h = History()

    def produce(self, t0, t1, p, base, *ids, outcome="ok", key=None, value=1):
        op = self.h.invoke("p", "produce", "t", tuple((key, value, i) for i in ids), t0)
        History.complete(op, outcome, t1, output=(p, base))
        return op.id

    def poll(self, t, *records, client="c1", group="g", value=1):
        op = self.h.invoke(client, "poll", "t", None, t - 1, options={"group": group})
        History.complete(op, "ok", t,
                         output=tuple((p, o, i, None, value) for p, o, i in records))
        return op.id

    def commit(self, t, *offsets, group="g"):
        op = self.h.invoke("c1", "commit", "t", tuple(offsets), t - 1, options={"group": group})
        History.complete(op, "ok", t)


def test_lost_names_the_acknowledged_message_never_delivered():
    """An acknowledged message that no poll of the group returned is lost; others are not."""
    b = H()
    a = b.produce(0, 1, 0, 0, "m1")
    lost = b.produce(2, 3, 0, 1, "m2")
    b.produce(4, 5, 0, 2, "m3", outcome="fail")      # never acknowledged: not lost
    b.poll(10, (0, 0, "m1"))
    b.poll(11, (0, 1, "m2"), group="other")           # another group's delivery
    r = check_lost(b.h, "t", "g")
    assert r.valid is False and r.offending == (lost,) and r.details["lost"] == ("m2",)
    assert "m2" in r.explain() and a not in r.offending


def test_duplicated_tells_redelivery_from_double_append():
    """The same offset twice is a redelivery; the same id at two offsets a double append."""
    b = H()
    b.produce(0, 1, 0, 0, "m1", "m2")
    b.poll(10, (0, 0, "m1"), (0, 1, "m2"))
    second = b.poll(20, (0, 1, "m2"), (0, 2, "m1"))
    r = check_duplicated(b.h, "t", "g")
    assert r.offending == (second,)
    assert r.details["redelivered"] == ("m2",) and r.details["appended_twice"] == ("m1",)
    assert check_duplicated(History(), "t", "g").ok


def test_reordered_only_when_acknowledged_before_produced():
    """B after A (A acknowledged before B was produced) delivered before A is a reordering;
    concurrent produces may come in either order."""
    b = H()
    b.produce(0, 1, 0, 0, "a", key="k")
    late = b.produce(2, 3, 1, 0, "b", key="k")
    b.produce(2, 9, 0, 1, "c", key="j")               # concurrent with "d"
    b.produce(3, 4, 0, 2, "d", key="j")
    b.poll(10, (1, 0, "b"), (0, 0, "a"), (0, 2, "d"), (0, 1, "c"))
    by_topic = check_reordered(b.h, "t", "g", by="topic")
    assert by_topic.valid is False and late in by_topic.offending
    assert check_reordered(b.h, "t", "g", by="key").valid is False   # "a" and "b" share key k
    assert check_reordered(b.h, "t", "g", by="partition").ok          # c, d concurrent


def test_effect_compares_the_balance_with_exactly_once():
    """A duplicate adds to the balance, a loss subtracts; dedupe repairs duplicates only."""
    b = H()
    b.produce(0, 1, 0, 0, "m1", "m2", "m3", value=10)
    b.poll(5, (0, 0, "m1"), (0, 1, "m2"), value=10)
    b.poll(6, (0, 1, "m2"), value=10)
    r = check_effect(b.h, "t", "g")
    # the loss of m3 and the duplicate of m2 cancel in the balance: still flagged
    assert r.valid is False and r.details == {"balance": 30, "expected": 30, "lost_amount": 10,
                                              "extra_amount": 10}
    d = check_effect(b.h, "t", "g", dedupe=True)
    assert d.valid is False and d.details["balance"] == 20 and d.details["lost_amount"] == 10
    b.poll(7, (0, 2, "m3"), value=10)
    assert check_effect(b.h, "t", "g", dedupe=True).ok
    assert check_effect(b.h, "t", "g").details["balance"] == 40


def test_lag_over_time_follows_produces_and_commits():
    """Lag is the acknowledged end offset minus the committed offset, per partition."""
    b = H()
    b.produce(0, 1, 0, 0, "m1", "m2")
    b.produce(2, 3, 1, 0, "m3")
    b.commit(5, (0, 1))
    samples = lag_over_time(b.h, "t", "g")
    assert [(s["time_ms"], s["partition"], s["lag"]) for s in samples] == \
        [(1, 0, 2), (3, 1, 1), (5, 0, 1)]
    assert check_lag(b.h, "t", "g", max_lag=1).valid is False
    assert check_lag(b.h, "t", "g").valid is None
    assert check_lag(b.h, "t", "g").details["final"] == {0: 1, 1: 1}


def test_result_shape():
    """The stand-in result has the shared fields and explain()."""
    r = CheckResult(checker="x", valid=False, offending=(1,), reasons=("why",))
    assert (r.checker, r.valid, r.offending, r.reasons, dict(r.details)) == \
        ("x", False, (1,), ("why",), {})
    assert r.explain() == "x: violated (1 operation(s)):\n  - why"
    assert set(check_delivery(History(), "t", "g")) == {"lost", "duplicated", "reordered"}


def test_checkers_handle_a_large_history():
    """100,000 messages, each delivered once: nothing lost or duplicated (the cost of the
    checkers at this size is measured by benchmarks/bench_bus.py, not here)."""
    b = H()
    n = 100_000
    for i in range(0, n, 100):
        b.produce(i, i + 1, i % 3, i // 3, *[f"m{j}" for j in range(i, i + 100)])
    b.poll(n + 10, *[((j // 100 * 100) % 3, j, f"m{j}") for j in range(n)])
    results = check_delivery(b.h, "t", "g")
    assert results["lost"].valid is True and results["duplicated"].valid is True
    assert results["lost"].details["acknowledged"] == n
