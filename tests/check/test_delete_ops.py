"""Deletes in histories: a delete writes "no value", for every checker."""

from caplab.check import check_all, check_linearizability, check_stale_reads
from caplab.kv import Cluster


def _op(i, client, op, value, start, end, outcome="ok"):
    return dict(id=i, client=client, op=op, key="x", value=value, invoke_ms=start,
                complete_ms=end, outcome=outcome)


def test_a_read_of_none_after_a_delete_is_linearizable():
    """put 1, delete, get -> None is linearizable; get -> 1 after the delete completed is not."""
    ok = [_op(0, "a", "put", 1, 0, 5), _op(1, "a", "delete", None, 10, 15),
          _op(2, "b", "get", None, 20, 25)]
    assert check_linearizability(ok).valid is True
    bad = ok[:2] + [_op(2, "b", "get", 1, 20, 25)]
    result = check_linearizability(bad)
    assert result.valid is False and 2 in result.offending
    assert check_stale_reads(bad).valid is False


def test_checkers_read_a_cluster_history_with_deletes():
    """A real AP history with a delete goes through every checker of the summary."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    alice = c.client("alice", near="n1")
    alice.put("x", "1", consistency="all")
    alice.delete("x", consistency="all")
    alice.get("x", consistency="all")
    summary = check_all(c.history)
    assert summary["linearizability"].valid is True
    assert summary["stale reads"].valid is True
