"""Notebook 04's deletes section: every claim it prints, for its seed and others."""

import pytest

from caplab.course.deletes import zombie


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_replica_back_after_gc_grace_resurrects_the_deleted_value(seed):
    """"n3 missed the delete; after the purge a read at ALL returns the deleted value and read
    repair puts it back on every replica." (Cassandra: deleted data can reappear when a node
    was down longer than gc_grace_seconds.)"""
    f = zombie(seed=seed)
    stages = list(f.stages.values())
    assert stages[1] == {"n1": "tombstone", "n2": "tombstone", "n3": "1"}
    assert stages[2] == {"n1": "-", "n2": "-", "n3": "1"}
    assert f.read_after_return == "1" and f.resurrected
    assert stages[-1] == {"n1": "1", "n2": "1", "n3": "1"}
    assert f.tombstones_purged == 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_repair_within_gc_grace_keeps_the_value_deleted(seed):
    """"With repair inside gc_grace, n3 receives the tombstone; after the purge nothing is
    left, and the read returns None." (Cassandra: run repair within gc_grace_seconds.)"""
    f = zombie(seed=seed, repair_within_grace=True)
    stages = list(f.stages.values())
    assert stages[2] == {"n1": "tombstone", "n2": "tombstone", "n3": "tombstone"}
    assert stages[-1] == {"n1": "-", "n2": "-", "n3": "-"}
    assert f.read_after_return is None and not f.resurrected
