"""The ``read_repair_fn`` option of AP mode: read repair decided by a function of the replies."""

from __future__ import annotations

import pytest

from caplab.errors import ConfigError
from caplab.kv import Cluster
from caplab.kv.ap.repair_hook import Reply


def newest_everywhere(key, replies):
    newest = max(r.version for r in replies if r.version is not None)
    return {r.node: newest for r in replies if r.version != newest}


def _diverged(fn, seed=1, read_repair="async"):
    """n3 misses a write (hints off), the network heals, a client reads the key once at ONE
    (async read repair: every replica is asked)."""
    c = Cluster(mode="ap", nodes=3, seed=seed, hinted_handoff=False, read_repair=read_repair,
                read_repair_fn=fn)
    a = c.client("a", near="n1")
    c.isolate("n3")
    assert a.put("x", 1, consistency="one").ok
    c.heal()
    c.run_for(1000)
    assert a.get("x", consistency="one").ok
    c.run_for(100)
    return c


def test_hook_gets_plain_replies_and_repairs():
    """The function sees (node, version, value) per replica and its plan is applied."""
    calls = []

    def fn(key, replies):
        calls.append((key, replies))
        return newest_everywhere(key, replies)

    c = _diverged(fn)
    key, replies = calls[-1]
    assert key == "x" and all(isinstance(r, Reply) for r in replies)
    assert [r.node for r in replies] == sorted(r.node for r in replies)
    assert {r.node: r.value for r in replies}["n3"] is None
    assert {r["node"]: r["value"] for r in c.replica_records()} == {"n1": 1, "n2": 1, "n3": 1}
    assert c.stats()["read_repairs"] == 1


def test_hook_that_repairs_nothing_leaves_divergence():
    """Returning {} (or None) sends no repair."""
    c = _diverged(lambda key, replies: None)
    assert "n3" not in {r["node"] for r in c.replica_records()}


def test_unknown_version_or_node_is_a_config_error():
    """A plan naming a version no replica reported, or a node that did not answer, is refused."""
    with pytest.raises(ConfigError, match="no replica reported"):
        _diverged(lambda key, replies: {"n3": (999, "9", "n1")})
    with pytest.raises(ConfigError, match="did not answer"):
        _diverged(lambda key, replies: {"n9": replies[0].version})


@pytest.mark.parametrize("options, match", [
    ({"read_repair_fn": 3}, "must be a function"),
    ({"read_repair_fn": newest_everywhere, "read_repair": False}, "'blocking' or 'async'"),
    ({"read_repair_fn": newest_everywhere, "read_repair": "off"}, "'blocking' or 'async'"),
    ({"read_repair_fn": newest_everywhere, "conflict": "siblings"}, "lww"),
])
def test_bad_options_are_refused(options, match):
    """The option is validated at the boundary (callable, read repair on, LWW)."""
    with pytest.raises(ConfigError, match=match):
        Cluster(mode="ap", nodes=3, seed=1, **options)


def test_default_is_the_builtin_blocking_read_repair():
    """Without the option the built-in read repair runs: by default blocking, so a read at ALL
    repairs n3 before it answers, and a read at ONE (one replica asked) repairs nothing."""
    assert Cluster.options_for("ap")["read_repair_fn"] is None
    c = Cluster(mode="ap", nodes=3, seed=1, hinted_handoff=False)
    a = c.client("a", near="n1")
    c.isolate("n3")
    a.put("x", 1, consistency="one")
    c.heal()
    c.run_for(1000)
    a.get("x", consistency="one")
    c.run_for(100)
    assert "n3" not in {r["node"] for r in c.replica_records()}
    assert a.get("x", consistency="all").value == 1
    assert {r["node"]: r["value"] for r in c.replica_records()}["n3"] == 1


def test_hook_in_blocking_mode_sees_only_the_replicas_asked():
    """Blocking mode: the hook gets the replies of the replicas the level needs (2 at QUORUM),
    and the coordinator waits for the repairs it plans before answering."""
    calls = []

    def fn(key, replies):
        calls.append([r.node for r in replies])
        return newest_everywhere(key, replies)

    c = Cluster(mode="ap", nodes=3, seed=1, hinted_handoff=False, read_repair_fn=fn)
    a, b = c.client("a", near="n1"), c.client("b", near="n3")
    c.isolate("n3")
    assert a.put("x", 1, consistency="one").ok
    c.heal()
    c.run_for(1000)
    assert b.get("x", consistency="one").value is None     # ONE: no comparison, no hook
    assert calls == []
    assert b.get("x", consistency="quorum").value == 1
    assert len(calls) == 1 and len(calls[0]) == 2 and "n3" in calls[0]
    assert {r["node"]: r["value"] for r in c.replica_records()}["n3"] == 1
