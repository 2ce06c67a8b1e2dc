"""caplab.kv.probes: the one copy of the questions course, labs and tests ask of a cluster."""

from types import SimpleNamespace

import pytest

from caplab.errors import ConfigError
from caplab.kv import Cluster
from caplab.kv import probes
from caplab.sim import Trace


def _fake(trace, now=0):
    """A stand-in cluster: probes need only ``.sim.trace`` (and ``.now``) for trace facts."""
    return SimpleNamespace(sim=SimpleNamespace(trace=trace), now=now)


def test_probes_read_data_fields_not_the_detail_text():
    """A reworded detail changes nothing: primaries and step-downs come from the fields."""
    t = Trace()
    t.record(10, "role", "n1", detail="n1 is now the boss (term one)",
             data={"role": "primary", "term": 1})
    t.record(50, "role", "n1", detail="n1 gave up",
             data={"role": "secondary", "term": 1, "previous": "primary", "reason": "x"})
    t.record(60, "role", "n2", detail="primary term=7")         # text only: not a fact
    c = _fake(t, now=100)
    assert probes.primaries_by_term(c) == {1: ["n1"]}
    assert probes.step_down_ms(c, "n1") == 50 and probes.step_down_ms(c, "n2") is None
    assert probes.primary_intervals(c) == {"n1": [(10, 50)]}


def test_events_filter_on_kind_node_time_and_fields():
    """events() keeps the events whose fields all match, at or after since_ms."""
    t = Trace()
    t.record(1, "hint", "n1", data={"action": "stored", "key": "a"})
    t.record(2, "hint", "n1", data={"action": "replayed", "key": "a"})
    t.record(3, "hint", "n2", data={"action": "replayed", "key": "b"})
    c = _fake(t)
    assert [e.time_ms for e in probes.events(c, "hint", action="replayed")] == [2, 3]
    assert [e.time_ms for e in probes.events(c, "hint", node="n2")] == [3]
    assert [e.time_ms for e in probes.events(c, "hint", since_ms=2, key="a")] == [2]
    assert probes.events(c, "hint", missing_field=1) == []


def test_wait_for_primary_then_a_new_one_after_the_old_is_isolated():
    """MongoDB: an isolated primary steps down and the majority elects another; the probes
    see the first primary, the new one, one member per term, and the step-down time."""
    c = Cluster(mode="cp", nodes=3, seed=1)
    first = probes.wait_for_primary(c)
    assert first is not None and c.writable_primary == first
    cut_ms = c.now
    c.isolate(first)
    new = probes.wait_for_primary(c, exclude=(first,), timeout_ms=3000)
    assert new not in (None, first)
    by_term = probes.primaries_by_term(c)
    assert all(len(m) == 1 for m in by_term.values()) and by_term[max(by_term)] == [new]
    c.run_for(1500)
    down_ms = probes.step_down_ms(c, first, after_ms=cut_ms)
    assert down_ms is not None and 0 < down_ms - cut_ms <= 1000 + 200 + 10
    assert probes.members_in_role(c, "primary") == [new]


def test_wait_for_primary_gives_up_with_none():
    """With a majority down nobody can be elected: the wait ends at its timeout with None."""
    c = Cluster(mode="cp", nodes=3, seed=1)
    c.crash("n1")
    c.crash("n2")
    assert probes.wait_for_primary(c, timeout_ms=2000) is None
    assert c.now == 2000


def test_hint_replayed_ms_and_keys_received_on_a_ring():
    """Cassandra hinted handoff: the hint for a crashed replica is replayed after it returns;
    with hints off there is no replay to find."""
    for hinted in (True, False):
        c = Cluster(mode="ap", nodes=5, seed=1, hinted_handoff=hinted, read_repair=False)
        key = probes.key_where(c, lambda p: "n1" not in p)
        target = c.replicas_for(key)[0]
        c.crash(target)
        c.run_for(600)
        assert c.client("a", near="n1").put(key, "v1").ok
        c.restart(target)
        back_ms = c.now
        c.run_for(1000)
        replayed = probes.hint_replayed_ms(c, key=key, target=target)
        if hinted:
            assert replayed is not None and replayed > back_ms
            assert probes.holders(c, key)[target] == "v1"
        else:
            assert replayed is None and probes.hint_replayed_ms(c) is None
    assert probes.keys_received(c, target) == ()      # no anti-entropy ran


def test_key_where_refuses_an_impossible_predicate():
    """No key satisfies an impossible predicate: a ConfigError naming the keys tried."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    with pytest.raises(ConfigError, match=r"no key zz0\.\.zz9999"):
        probes.key_where(c, lambda p: False, prefix="zz")
