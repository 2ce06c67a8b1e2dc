"""Partial partitions and the dry-run vote: MongoDB's rule against Raft's pre-vote.

MongoDB's own test (jstests, "arbiters vote no in elections if they can see a healthy primary
of equal or greater priority to the candidate, preventing flapping during certain kinds of
network partitions"): only an arbiter refuses a dry run because it still sees a primary; a
data-bearing secondary grants it if the candidate's optime is not older than its own. So a
secondary cut off from the primary, but not from the third member, wins an election; with
chained replication (MongoDB's default, "Manage Chained Replication",
www.mongodb.com/docs/manual/tutorial/manage-chained-replication) the deposed primary syncs
through the third member, stays current and wins back: the flapping that the arbiter rule
prevents in PSA and nothing prevents in PSS.
"""

import pytest

from caplab import ConfigError
from caplab.course.cp import partial_partition
from caplab.kv import Cluster


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_secondary_cut_off_from_the_primary_only_wins_with_mongodb_rule(seed):
    """The cut secondary wins through the third member about one election timeout after the
    cut; the old primary steps down when it hears the newer term; writes go on."""
    f = partial_partition(seed=seed)
    assert f.new_primary == f.cut_secondary
    assert 900 <= f.elected_after_ms <= 1500
    assert f.old_stepped_down_after_ms is not None
    assert f.old_stepped_down_after_ms > f.elected_after_ms
    assert f.write_after.ok and f.write_after.node == f.primaries[-1][1]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_with_chaining_the_two_cut_members_take_turns(seed):
    """MongoDB's defaults: the deposed primary syncs through the third member, is not older,
    and wins back an election timeout later; in 3 s the primary changes twice (terms 1, 2, 3),
    never to the third member."""
    f = partial_partition(seed=seed)
    assert f.primaries == ((1, f.old_primary), (2, f.cut_secondary), (3, f.old_primary))
    assert f.bridge not in {node for _, node in f.primaries}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_without_chaining_the_cut_secondary_keeps_the_primary(seed):
    """chaining_allowed=False: the deposed primary misses the new primary's no-op, the third
    member refuses it for its older optime, and the cut secondary stays primary (terms 1, 2)."""
    f = partial_partition(seed=seed, chaining_allowed=False)
    assert f.new_primary == f.cut_secondary and f.terms == (1, 2)
    assert f.write_after.ok and f.write_after.node == f.cut_secondary
    refusals = [e for e in f.cluster.sim.trace.of_kind("election")
                if e.node == f.bridge and e.data.get("action") == "vote"
                and e.data.get("candidate") == f.old_primary and not e.data.get("granted")]
    assert refusals and all("older" in e.data["reason"] for e in refusals)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_raft_prevote_keeps_the_primary(seed):
    """With Raft's pre-vote (every voter refuses while it hears a healthy primary) the third
    member refuses the dry run, and the old primary keeps its term."""
    f = partial_partition(seed=seed, dry_run_rule="raft_prevote")
    assert f.new_primary is None and f.old_stepped_down_after_ms is None
    assert f.terms == (1,) and f.write_after.ok and f.write_after.node == f.old_primary


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_with_writes_flowing_the_cut_secondary_falls_behind_and_is_refused(seed):
    """Notebook 03: "had writes kept flowing, the cut secondary would have fallen behind and
    been refused for its older optime" without chained replication (chaining_allowed=False:
    with MongoDB's default it syncs through the third member, test_cp_chaining_sync.py)."""
    c = Cluster(mode="cp", nodes=3, seed=seed, chaining_allowed=False)
    c.run_for(1500)
    old = c.primary
    cut, bridge = [n for n in c.nodes if n != old][:2]
    alice = c.client("alice", near=bridge)
    c.cut(old, cut)
    c.cut(cut, old)
    for i in range(25):
        alice.put("x", str(i), timeout_ms=1000)
        c.run_for(100)
    assert c.primary == old and c.backend.nodes[old].term == c.backend.nodes[bridge].term
    refusals = [e for e in c.sim.trace.of_kind("election")
                if e.node == bridge and e.data.get("action") == "vote"
                and e.data.get("candidate") == cut and not e.data.get("granted")]
    assert refusals and all("older" in e.data["reason"] for e in refusals)


def test_an_unknown_dry_run_rule_is_refused():
    """The error names the value and the allowed ones; no cluster is built."""
    with pytest.raises(ConfigError, match="'pre_vote'.*'mongodb', 'raft_prevote'"):
        Cluster(mode="cp", nodes=3, dry_run_rule="pre_vote")
