"""Sequential models of queues, logs and transactions, judged by the one linearizability
checker (known-answer histories, drawn as time lines)."""

import pytest

from caplab.check import check_linearizability
from caplab.errors import HistoryError
from caplab.history import History
from caplab.history.families import log_model, queue_model, txn_model


def op(i, client, name, key, value, start, end, outcome="ok", output=None):
    return dict(id=i, client=client, op=name, key=key, value=value, output=output,
                invoke_ms=start, complete_ms=end, outcome=outcome)


def test_a_queue_dequeues_in_fifo_order():
    """p: |-enq a-|  |-enq b-|
       c:                      |-deq->a-| |-deq->b-|   linearizable"""
    h = [op(0, "p", "enqueue", "q", "a", 0, 5), op(1, "p", "enqueue", "q", "b", 10, 15),
         op(2, "c", "dequeue", "q", None, 20, 25, output="a"),
         op(3, "c", "dequeue", "q", None, 30, 35, output="b")]
    assert check_linearizability(h, queue_model()).valid is True


def test_a_queue_that_overtakes_is_caught():
    """p: |-enq a-|  |-enq b-|
       c:                      |-deq->b-|   b overtook a: not linearizable"""
    h = [op(0, "p", "enqueue", "q", "a", 0, 5), op(1, "p", "enqueue", "q", "b", 10, 15),
         op(2, "c", "dequeue", "q", None, 20, 25, output="b")]
    result = check_linearizability(h, queue_model())
    assert result.valid is False and 2 in result.offending


def test_concurrent_enqueues_may_dequeue_in_either_order():
    """p1: |--enq a--|
       p2: |--enq b--|
       c:              |-deq->b-| |-deq->a-|   overlapping enqueues: linearizable"""
    h = [op(0, "p1", "enqueue", "q", "a", 0, 10), op(1, "p2", "enqueue", "q", "b", 0, 10),
         op(2, "c", "dequeue", "q", None, 20, 25, output="b"),
         op(3, "c", "dequeue", "q", None, 30, 35, output="a")]
    assert check_linearizability(h, queue_model()).valid is True


def test_a_message_delivered_twice_is_caught():
    """One enqueue, two dequeues that both return it: a duplicate delivery."""
    h = [op(0, "p", "enqueue", "q", "a", 0, 5),
         op(1, "c1", "dequeue", "q", None, 10, 15, output="a"),
         op(2, "c2", "dequeue", "q", None, 20, 25, output="a")]
    assert check_linearizability(h, queue_model()).valid is False


def test_a_log_gives_each_message_its_own_offset():
    """Two produces acknowledged with the same offset cannot both be true."""
    good = [op(0, "p1", "produce", "t-0", "m0", 0, 5, output=0),
            op(1, "p2", "produce", "t-0", "m1", 10, 15, output=1),
            op(2, "c", "fetch", "t-0", 1, 20, 25, output="m1"),
            op(3, "c", "fetch", "t-0", 2, 30, 35, output=None)]
    assert check_linearizability(good, log_model()).valid is True
    bad = [op(0, "p1", "produce", "t-0", "m0", 0, 5, output=0),
           op(1, "p2", "produce", "t-0", "m1", 10, 15, output=0)]
    assert check_linearizability(bad, log_model()).valid is False


def test_a_fetch_of_an_acknowledged_offset_must_find_the_message():
    """An acknowledged message that a later fetch cannot find was lost (acks=1, leader died)."""
    h = [op(0, "p", "produce", "t-0", "m0", 0, 5, output=0),
         op(1, "c", "fetch", "t-0", 0, 20, 25, output=None)]
    assert check_linearizability(h, log_model()).valid is False


def test_transactions_that_see_all_or_nothing_are_serializable():
    """T1 writes x and y; a later T2 reads both new values."""
    t1 = [["w", "x", 1], ["w", "y", 1]]
    t2 = [["r", "x", None], ["r", "y", None]]
    h = [op(0, "a", "txn", "db", t1, 0, 10, output=[None, None]),
         op(1, "b", "txn", "db", t2, 20, 30, output=[1, 1])]
    assert check_linearizability(h, txn_model()).valid is True


def test_a_fractured_read_is_caught():
    """T2 sees T1's write of x but not of y, after T1 committed: not atomic."""
    t1 = [["w", "x", 1], ["w", "y", 1]]
    t2 = [["r", "x", None], ["r", "y", None]]
    h = [op(0, "a", "txn", "db", t1, 0, 10, output=[None, None]),
         op(1, "b", "txn", "db", t2, 20, 30, output=[1, None])]
    result = check_linearizability(h, txn_model())
    assert result.valid is False and 1 in result.offending


def test_a_failed_transaction_never_happened():
    """A fail transaction's writes are invisible: a read of its value is a violation."""
    h = [op(0, "a", "txn", "db", [["w", "x", 1]], 0, 10, outcome="fail"),
         op(1, "b", "txn", "db", [["r", "x", None]], 20, 30, output=[1])]
    assert check_linearizability(h, txn_model()).valid is False


def test_a_model_names_the_operations_it_allows():
    """A kv operation in a queue history is refused with the allowed names."""
    h = [op(0, "p", "put", "q", "a", 0, 5)]
    with pytest.raises(HistoryError, match="unknown op 'put'.*enqueue, dequeue"):
        check_linearizability(h, queue_model())


def test_the_world_history_records_what_the_models_read():
    """History operations carry input (value) and output, which the models consume."""
    history = History()
    a = history.invoke("p", "enqueue", "q", "a", 0)
    history.complete(a, "ok", 5)
    b = history.invoke("c", "dequeue", "q", None, 10)
    history.complete(b, "ok", 15, output="a")
    assert check_linearizability(history, queue_model()).valid is True
