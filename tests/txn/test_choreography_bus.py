"""The choreographed saga over the Kafka-like log (Choreography(transport="bus")): the same
outcomes as with direct messages, and the bus's own failure, a consumer crashing between
processing and committing, absorbed by the services' idempotent handling."""

from __future__ import annotations

import pytest

from caplab.errors import UnknownNameError
from caplab.txn import Choreography, check_atomicity, check_invariants


def _run(transport, *, refuse=None, crash=None, seed=1):
    c = Choreography(seed=seed, transport=transport)
    if refuse:
        c.refuse(*refuse)
    if crash:
        c.bus.crash_consumer_before_commit(crash, 300)
    result = c.place_order("o1")
    c.run_for(1500)
    return c, result


@pytest.mark.parametrize("refuse", [None, ("inventory", "reserve"), ("shipping", "schedule")],
                         ids=["completes", "reserve-refused", "schedule-refused"])
def test_the_bus_gives_the_same_outcome_as_direct_messages(refuse):
    """microservices.io, Saga (choreography): each local transaction publishes an event that
    triggers the next. Carried by the log instead of direct messages, the order ends the same
    way, with the same rows in every service's database."""
    direct, r1 = _run("direct", refuse=refuse)
    bus, r2 = _run("bus", refuse=refuse)
    assert (r1.outcome, r2.outcome) == ("fail" if refuse else "ok",) * 2
    assert bus.data() == direct.data()
    for c in (direct, bus):
        assert check_atomicity(c).valid and check_invariants(c).valid
    assert bus.bus.redelivered == 0 and sum(s.duplicates for s in bus.services.values()) == 0


@pytest.mark.parametrize("service", ["payment", "inventory", "shipping"])
def test_a_consumer_crash_before_commit_redelivers_and_the_step_absorbs_it(service):
    """Kafka, Message Delivery Semantics: a consumer that processes and crashes before
    committing its position has those records consumed again from the last committed offset
    (at-least-once). The service remembers the events it handled (microservices.io, Idempotent
    Consumer), so the redelivered event runs nothing twice: same rows as without the crash."""
    clean, _ = _run("bus")
    c, result = _run("bus", crash=service)
    assert result.ok
    assert c.bus.redelivered >= 1 and c.services[service].duplicates >= 1
    assert c.data() == clean.data()
    atomic = check_atomicity(c)
    assert atomic.valid, atomic.reasons           # no "step ran 2 times"
    assert check_invariants(c).valid


def test_an_unknown_transport_is_refused_by_name():
    """transport must be 'direct' or 'bus'; the message names the bad value."""
    with pytest.raises(UnknownNameError, match="'pigeon'"):
        Choreography(seed=1, transport="pigeon")


def test_same_seed_same_bus_run():
    """The bus run is deterministic: the same seed gives the same trace."""
    a, _ = _run("bus", crash="inventory", seed=4)
    b, _ = _run("bus", crash="inventory", seed=4)
    assert [e.describe() for e in a.sim.trace.events] == [e.describe() for e in b.sim.trace.events]


def test_a_compensation_that_keeps_failing_is_published_on_the_bus():
    """Azure, Compensating Transaction: a compensation that cannot complete is handed to a
    person. The refund fails every time: besides the durable dead-letter list, the event is on
    the log's saga.compensation-failed topic, keyed by the order, where an operators' consumer
    reads it; the saga ends compensation_failed and the checker accepts it."""
    from caplab.txn.alerts import ALERT_TOPIC
    c = Choreography(seed=1, transport="bus")
    c.refuse("shipping", "schedule")
    c.refuse("payment", "refund", times=None)
    ops = c.bus.alerts.consumer("ops")
    result = c.place_order("o1")
    c.run_for(1000)
    assert result.outcome == "info" and result.error.startswith("compensation_failed")
    [event] = c.dead_letters
    polled = ops.poll().value
    assert [(key, value) for _, _, _, key, value in polled] == [("o1", event)]
    assert (event.service, event.action) == ("payment", "refund")
    assert ALERT_TOPIC in c.bus.log.topics
    assert check_atomicity(c).valid is True


def test_the_orchestrator_publishes_compensation_failed_on_the_bus_too():
    """Sagas(bus=True): the orchestrator's CompensationFailed goes to the same topic; without a
    bus there is only the list; a non-boolean bus is refused by name."""
    import pytest as _pytest

    from caplab.errors import ConfigError
    from caplab.txn import Sagas
    s = Sagas(seed=1, bus=True)
    s.refuse("inventory", "reserve")
    s.refuse("payment", "refund", times=None)
    ops = s.alerts.consumer("ops")
    s.saga(s.order_steps("o1"))
    s.run_for(500)
    assert [value for *_, value in ops.poll().value] == s.dead_letters
    assert s.records["s1"].state == "compensation_failed" and check_atomicity(s).valid
    assert Sagas(seed=1).alerts is None
    with _pytest.raises(ConfigError, match="bus must be True or False, got 'yes'"):
        Sagas(seed=1, bus="yes")
