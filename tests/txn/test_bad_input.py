"""Bad input: clear errors naming the value, and the state exactly as it was."""

from __future__ import annotations

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.txn import Sagas, Step, TwoPhaseCommit
from caplab.world import World


def _snapshot(system):
    return (len(system.history), system.world.network.sent, system.data(),
            sorted(system._used), system.now, sorted(system.world.clients))


@pytest.mark.parametrize("kwargs, needle", [
    ({"participants": 0}, "between 1 and 4"),
    ({"participants": 5}, "got 5"),
    ({"participants": ["order", "bank"]}, "'bank'"),
    ({"participants": ["order", "order"]}, "distinct"),
    ({"vote_timeout_ms": 0}, "vote_timeout_ms"),
    ({"inquiry_ms": -5}, "got -5"),
    ({"retry_ms": 1.5}, "retry_ms"),
    ({"domain": "bank"}, "'bank'"),
    ({"coordinator": "payment"}, "'payment'"),
    ({"initial": {"bank": {}}}, "'bank'"),
])
def test_two_phase_commit_refuses_bad_options(kwargs, needle):
    """A bad option raises ConfigError naming the value."""
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(")):
        TwoPhaseCommit(**kwargs)


def test_a_shared_world_with_taken_names_is_refused_and_left_alone():
    """Building on a world whose names are taken raises and adds nothing to it."""
    world = World(seed=1)
    TwoPhaseCommit(world=world)
    before = list(world.nodes)
    with pytest.raises(ConfigError, match="already in use"):
        TwoPhaseCommit(world=world)
    assert world.nodes == before


@pytest.mark.parametrize("ops, error, needle", [
    ({"bank": ("charge", {})}, UnknownNameError, "'bank'"),
    ({"shipping": ("schedule", {"order": "o1"})}, UnknownNameError, "'shipping'"),
    ({"payment": ("steal", {})}, UnknownNameError, "'steal'"),
    ({"payment": ("charge", {"order": "o1"})}, ConfigError, "needs argument"),
    ({"payment": "charge"}, ConfigError, "action, args"),
    ({}, ConfigError, "non-empty"),
])
def test_a_bad_transaction_is_refused_before_anything_is_sent(ops, error, needle):
    """Unknown services or actions, missing arguments: an error naming them, nothing sent,
    nothing recorded."""
    tpc = TwoPhaseCommit(seed=1)
    before = _snapshot(tpc)
    with pytest.raises(error, match=needle):
        tpc.transaction(ops)
    assert _snapshot(tpc) == before


def test_a_transaction_on_a_crashed_coordinator_is_refused():
    """With the coordinator down a transaction cannot start: the error names it."""
    tpc = TwoPhaseCommit(seed=1)
    tpc.crash("tm")
    before = _snapshot(tpc)
    with pytest.raises(ConfigError, match="coordinator 'tm' is down"):
        tpc.transaction(tpc.place_order("o1"))
    assert _snapshot(tpc) == before


def test_a_reused_transaction_id_and_a_bad_option_are_refused():
    """A second transaction with the same id, or an unknown option, is refused unchanged."""
    tpc = TwoPhaseCommit(seed=1)
    tpc.transaction(tpc.place_order("o1"), txid="x")
    before = _snapshot(tpc)
    with pytest.raises(ConfigError, match="'x' is already used"):
        tpc.transaction(tpc.place_order("o2"), txid="x")
    with pytest.raises(UnknownNameError, match="'w'"):
        tpc.transaction(tpc.place_order("o2"), w=2)
    with pytest.raises(ConfigError, match="timeout_ms"):
        tpc.transaction(tpc.place_order("o2"), timeout_ms=0)
    assert _snapshot(tpc) == before


def test_crash_at_an_unknown_phase_is_refused():
    """crash_at names the allowed phases."""
    tpc = TwoPhaseCommit(seed=1)
    with pytest.raises(UnknownNameError, match="before_prepare"):
        tpc.crash_at("sometime")
    assert tpc.coordinator.crash_plan == {}


@pytest.mark.parametrize("kwargs, needle", [
    ({"manager": "lazy"}, "'lazy'"),
    ({"step_timeout_ms": 0}, "step_timeout_ms"),
    ({"compensation_retries": -1}, "compensation_retries"),
    ({"offer_timeout_ms": None}, "offer_timeout_ms"),
    ({"domain": "bank"}, "'bank'"),
])
def test_sagas_refuse_bad_options(kwargs, needle):
    """A bad saga option raises ConfigError naming it."""
    with pytest.raises(ConfigError, match=needle):
        Sagas(**kwargs)


@pytest.mark.parametrize("steps, needle", [
    ([], "non-empty"),
    ([Step("order", "create_order", {"order": "o1"})], "no compensation"),
    ([Step("bank", "pay", {}, "refund")], "'bank'"),
    ([Step("payment", "charge", {"order": "o1"}, "refund")], "cannot use arguments"),
    ([Step("order", "create_order", {"order": "o1"}, "uncreate")], "'uncreate'"),
    ([Step("order", "create_order", {"order": "o1"}, "cancel_order", pivot=True),
      Step("order", "approve_order", {"order": "o1"}, pivot=True)], "at most one pivot"),
    (["order.create_order"], "Step"),
])
def test_bad_saga_steps_are_refused_unchanged(steps, needle):
    """A step without a compensation, an unknown service or action, two pivots: refused, with
    nothing sent or recorded."""
    s = Sagas(seed=1)
    before = _snapshot(s)
    with pytest.raises(ConfigError, match=needle):
        s.saga(steps)
    assert _snapshot(s) == before and s.records == {}


def test_a_saga_on_a_crashed_orchestrator_and_other_bad_calls_are_refused():
    """Orchestrator down, an unknown crash event, a non-boolean offer answer, a bad refusal."""
    s = Sagas(seed=1)
    with pytest.raises(UnknownNameError, match="'whenever'"):
        s.crash_after("whenever")
    with pytest.raises(ConfigError, match="accept_offer"):
        s.saga(s.order_steps("o1"), accept_offer="yes")
    with pytest.raises(UnknownNameError, match="'steal'"):
        s.refuse("payment", "steal")
    with pytest.raises(ConfigError, match="times"):
        s.refuse("payment", "charge", times=0)
    with pytest.raises(UnknownNameError, match="'bank'"):
        s.order_steps("o1", pivot="bank")
    s.crash("saga")
    before = _snapshot(s)
    with pytest.raises(ConfigError, match="orchestrator 'saga' is down"):
        s.saga(s.order_steps("o1"))
    assert _snapshot(s) == before
    assert s.service("payment").refusals == {} and s.orchestrator.crash_plan == {}


@pytest.mark.parametrize("make, needle", [
    (lambda: TwoPhaseCommit(seed=1), r"order\.create_order: amount must be .* > 0, got -5"),
    (lambda: Sagas(seed=1), r"step 0 \(order\.create_order\): amount must be .* > 0, got -5"),
], ids=["2pc", "saga"])
def test_a_negative_amount_or_quantity_is_refused_unchanged(make, needle):
    """A charge of -5 would pay the customer and a reservation of -2 would restock: both are
    refused by name before anything is sent, the state unchanged."""
    system = make()
    before = _snapshot(system)
    with pytest.raises(ConfigError, match=needle):
        if isinstance(system, Sagas):
            system.saga(system.order_steps("o1", amount=-5))
        else:
            system.transaction(system.place_order("o1", amount=-5))
    with pytest.raises(ConfigError, match="qty must be a whole number > 0, got 0"):
        if isinstance(system, Sagas):
            system.saga(system.order_steps("o1", qty=0))
        else:
            system.transaction(system.place_order("o1", qty=0))
    assert _snapshot(system) == before


def test_choreography_refuses_bad_orders_and_bad_consumer_crashes():
    """A negative quantity, an unknown service or a zero down time: refused by name, nothing
    planned or sent."""
    from caplab.txn import Choreography
    c = Choreography(seed=1, transport="bus")
    before = _snapshot(c)
    with pytest.raises(ConfigError, match="qty must be a whole number > 0, got -2"):
        c.place_order("o1", qty=-2)
    with pytest.raises(UnknownNameError, match="'bank'"):
        c.bus.crash_consumer_before_commit("bank", 100)
    with pytest.raises(ConfigError, match="down_ms"):
        c.bus.crash_consumer_before_commit("payment", 0)
    assert c.bus.crash_plan == {} and _snapshot(c) == before
    assert c.place_order("o1").ok
