"""Property tests: random crash points, partitions and step failures. The correct two-phase
commit and the correct saga manager keep atomicity and the invariants once everything is back
up and healed; the seed manager's violations are found."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caplab.txn import PHASES, Sagas, TwoPhaseCommit, check_atomicity, check_invariants

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

faults = st.lists(st.tuples(st.integers(0, 120),                         # when
                            st.sampled_from(["crash", "isolate"]),
                            st.sampled_from(["tm", "order", "payment", "inventory"]),
                            st.integers(50, 600)),                       # for how long
                  max_size=3)


@SETTINGS
@given(seed=st.integers(0, 10_000), phase=st.sampled_from((None,) + PHASES),
       schedule=faults, refuse=st.booleans(), cooperative=st.booleans(),
       loss=st.sampled_from([0.0, 0.1]))
def test_two_phase_commit_keeps_atomicity_under_random_crashes_and_partitions(
        seed, phase, schedule, refuse, cooperative, loss):
    """Whatever crashes, is cut off or lost, once all is back every transaction is committed
    everywhere or nowhere, nobody is left in doubt, and stock and money are conserved."""
    tpc = TwoPhaseCommit(participants=3, seed=seed, cooperative=cooperative,
                         latency=("uniform", 1, 9))
    tpc.world.network.set_loss(loss)
    if phase is not None:
        tpc.crash_at(phase, "t2")
    if refuse:
        tpc.refuse("inventory", "reserve")
    steps = []
    for at, action, node, length in schedule:
        steps.append((at, action, node))
        steps.append((at + length, "restart" if action == "crash" else "heal")
                     + ((node,) if action == "crash" else ()))
    tpc.world.nemesis(steps)
    for i in range(4):
        if tpc.coordinator.up:
            tpc.transaction_async(tpc.place_order(f"o{i}", customer=("alice", "bob")[i % 2]),
                                  txid=f"t{i + 1}")
        tpc.run_for(20)
    tpc.run_for(800)
    tpc.world.network.set_loss(0.0)
    tpc.heal()
    for name in tpc.nodes:
        if not tpc.world.network.endpoints[name].up:
            tpc.restart(name)
    tpc.run_for(3000)
    atomic = check_atomicity(tpc)
    assert atomic.valid is True, atomic.explain()
    assert not any(tpc.blocked().values())
    invariants = check_invariants(tpc)
    assert invariants.valid is True, invariants.explain()


steps_to_fail = st.sampled_from([("order", "create_order"), ("payment", "charge"),
                                 ("inventory", "reserve"), ("shipping", "schedule"), None])
compensations = st.sampled_from(["cancel_order", "refund", "release", "cancel_shipment"])
events = st.sampled_from([None, "start", "step_done", "step_failed", "compensating",
                          "compensated"])


@SETTINGS
@given(seed=st.integers(0, 10_000), failing=steps_to_fail,
       comp_fail=st.one_of(st.none(), st.tuples(compensations, st.integers(1, 5))),
       crash=events, down_ms=st.integers(10, 400), pivot=st.sampled_from([None, "payment"]),
       service_crash=st.one_of(st.none(), st.tuples(st.integers(0, 60),
                                                    st.sampled_from(["payment", "shipping"]))))
def test_the_correct_saga_manager_keeps_atomicity(seed, failing, comp_fail, crash, down_ms,
                                                  pivot, service_crash):
    """Random step and compensation failures, a service crash and an orchestrator crash
    anywhere: every saga ends with all steps done, or every completed step compensated in
    reverse order, or a published CompensationFailed; no step runs twice; stock and money are
    conserved."""
    s = Sagas(seed=seed, latency=("uniform", 1, 9))
    if service_crash is not None:
        at, victim = service_crash
        s.world.nemesis([(at, "crash", victim), (at + down_ms, "restart", victim)])
    if failing is not None:
        s.refuse(*failing, times=2)
    if comp_fail is not None:
        owner = {"cancel_order": "order", "refund": "payment", "release": "inventory",
                 "cancel_shipment": "shipping"}[comp_fail[0]]
        s.refuse(owner, comp_fail[0], times=comp_fail[1])
    if crash is not None:
        s.crash_after(crash)
    for i in range(3):
        if s.orchestrator.up:
            s.saga_async(s.order_steps(f"o{i}", pivot=pivot))
        s.run_for(15)
    end = s.now + 2000                 # the crash may come late: restart it whenever it is down
    while s.now < end:
        s.run_for(down_ms)
        if not s.orchestrator.up:
            s.restart("saga")
    s.run_for(3000)
    atomic = check_atomicity(s)
    assert atomic.valid is True, atomic.explain()
    invariants = check_invariants(s)
    assert invariants.valid is True, invariants.explain()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000),
       failing=st.sampled_from([("payment", "charge"), ("inventory", "reserve"),
                                ("shipping", "schedule")]))
def test_the_seed_managers_violations_are_found(seed, failing):
    """The seed manager, given a failing step, always leaves a violation the checker names
    (a step after the failure, or compensations not in reverse order)."""
    s = Sagas(seed=seed, manager="seed", latency=("uniform", 1, 9))
    s.refuse(*failing)
    s.saga(s.order_steps("o1"))
    s.run_for(500)
    atomic = check_atomicity(s)
    assert atomic.valid is False and atomic.offending == ("s1",)


saga_cuts = st.lists(st.tuples(st.integers(0, 80),                           # when
                               st.sampled_from(["isolate", "cut", "cut back"]),
                               st.sampled_from(["order", "payment", "inventory", "shipping"]),
                               st.integers(20, 500)),                        # for how long
                     max_size=3)


@SETTINGS
@given(seed=st.integers(0, 10_000), failing=steps_to_fail, cuts=saga_cuts,
       loss=st.sampled_from([0.0, 0.1]), pivot=st.sampled_from([None, "payment"]),
       crash=events)
def test_the_correct_saga_manager_keeps_atomicity_under_partitions(seed, failing, cuts, loss,
                                                                  pivot, crash):
    """Partitions between the orchestrator and a service (both ways or one way), lost
    messages, a refused step and an orchestrator crash: the steps time out, are resent with
    the same key or counted as failed (they may have run, so they are compensated), and once
    the network heals every saga is atomic, no step ran twice, stock and money conserved
    (microservices.io, Saga: idempotent steps; Azure, Saga: retry past the pivot)."""
    s = Sagas(seed=seed, latency=("uniform", 1, 9))
    s.world.network.set_loss(loss)
    steps = []
    for at, how, service, length in cuts:
        if how == "isolate":
            steps.append((at, "isolate", service))
        else:
            src, dst = ("saga", service) if how == "cut" else (service, "saga")
            steps.append((at, "cut", src, dst))
        steps.append((at + length, "heal"))
    s.world.nemesis(steps)
    if failing is not None:
        s.refuse(*failing, times=2)
    if crash is not None:
        s.crash_after(crash)
    for i in range(3):
        if s.orchestrator.up:
            s.saga_async(s.order_steps(f"o{i}", pivot=pivot))
        s.run_for(15)
    end = s.now + 2000
    while s.now < end:
        s.run_for(200)
        if not s.orchestrator.up:
            s.restart("saga")
    s.world.network.set_loss(0.0)
    s.heal()
    s.run_for(5000)
    atomic = check_atomicity(s)
    assert atomic.valid is True, atomic.explain()
    invariants = check_invariants(s)
    assert invariants.valid is True, invariants.explain()
