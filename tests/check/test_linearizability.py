"""Known-answer tests for the linearizability checker, on histories drawn in ASCII."""

import pandas as pd
import pytest

from asciihist_caplab import parse_ascii
from caplab.check import (LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN_VERDICT,
                          check_linearizability)
from caplab.errors import HistoryError
from caplab.history import History, cas_register_model, kv_model, register_model


def lin(drawing, model=None, **kw):
    return check_linearizability(parse_ascii(drawing), model, **kw)


def test_sequential_read_after_write_is_linearizable():
    """A read after a completed write that sees it: linearizable."""
    r = lin("""
C0: |-- put(x,1) --|
C1:                   |-- get(x)->1 --|
""")
    assert r.ok and r.verdict == LINEARIZABLE
    assert r.order == (0, 1)


def test_stale_read_after_completed_write_is_not_linearizable():
    """A read that starts after a write completed must not see the old value."""
    r = lin("""
C0: |-- put(x,1) --|
C1:                   |-- get(x)->nil --|
""")
    assert not r.ok and r.verdict == NOT_LINEARIZABLE
    assert r.key == "x"
    assert r.prefix == (0,)
    assert r.bad_ops == (1,)
    assert "get('x') -> None" in r.explain()


def test_concurrent_read_may_see_either_value():
    """A read overlapping a write may return the old or the new value."""
    for seen in ("nil", "1"):
        assert lin(f"""
C0: |------ put(x,1) ------|
C1:     |-- get(x)->{seen} --|
""").ok


def test_new_old_inversion_between_two_readers():
    """Reader 1 sees the new value, then reader 2 (starting later) sees the old: illegal."""
    r = lin("""
C0: |------------------ put(x,1) ------------------|
C1:   |-- get(x)->1 --|
C2:                      |-- get(x)->nil --|
""")
    assert r.verdict == NOT_LINEARIZABLE
    assert 2 in r.bad_ops  # the second read cannot be placed


def test_writes_order_fixed_by_reads():
    """Porcupine's classic: reads pin the order of concurrent writes."""
    assert lin("""
C0: |--- put(x,1) ---|
C1: |--- put(x,2) ---|
C2:                     |-- get(x)->2 --|   |-- get(x)->2 --|
""").ok
    r = lin("""
C0: |--- put(x,1) ---|
C1: |--- put(x,2) ---|
C2:                     |-- get(x)->2 --|   |-- get(x)->1 --|
""")
    assert r.verdict == NOT_LINEARIZABLE and r.bad_ops == (3,)


def test_failed_write_did_not_happen():
    """A fail write never takes effect: reading its value is illegal."""
    assert lin("""
C0: |-- put(x,1) --!
C1:                   |-- get(x)->nil --|
""").ok
    assert not lin("""
C0: |-- put(x,1) --!
C1:                   |-- get(x)->1 --|
""").ok


def test_info_write_may_take_effect_late_or_never():
    """A timed-out write may land after later reads, or never."""
    assert lin("""
C0: |-- put(x,1) --?
C1:                   |-- get(x)->nil --|  |-- get(x)->1 --|  |-- get(x)->1 --|
""").ok
    assert lin("""
C0: |-- put(x,1) --?
C1:                   |-- get(x)->nil --|
""").ok
    # ... but once seen, it cannot be unseen.
    assert not lin("""
C0: |-- put(x,1) --?
C1:                   |-- get(x)->1 --|  |-- get(x)->nil --|
""").ok


def test_info_get_constrains_nothing():
    """An info read is dropped, whatever value it carries."""
    assert lin("""
C0: |-- put(x,1) --|
C1:                   |-- get(x)->7 --?
""").ok


def test_keys_are_checked_independently():
    """A violation on y is found and named even though x is fine."""
    r = lin("""
C0: |-- put(x,1) --|  |-- put(y,5) --|
C1:                                     |-- get(x)->1 --| |-- get(y)->nil --|
""")
    assert r.verdict == NOT_LINEARIZABLE and r.key == "y"
    assert r.per_key["y"] == NOT_LINEARIZABLE


def test_append_model():
    """Appends concatenate; a read must see a prefix-consistent order."""
    m = kv_model(initial="")
    assert lin("""
C0: |-- append(k,a) --|
C1: |-- append(k,b) --|
C2:                      |-- get(k)->ba --|
""", m).ok
    assert not lin("""
C0: |-- append(k,a) --|
C1:                      |-- append(k,b) --|
C2:                                           |-- get(k)->ba --|
""", m).ok


def test_cas_register_failed_cas_observes_other_value():
    """etcd semantics: a failed cas saw a value other than expected."""
    m = cas_register_model()
    assert lin("""
C0: |-- put(r,1) --|
C1:                  |-- cas(r,2,3) --!
""", m).ok
    assert not lin("""
C0: |-- put(r,1) --|
C1:                  |-- cas(r,1,3) --!
""", m).ok
    assert lin("""
C0: |-- put(r,1) --|
C1:                  |-- cas(r,1,3) --|  |-- get(r)->3 --|
""", m).ok


def test_kv_failed_cas_did_not_happen():
    """kv semantics: a failed cas is dropped, whatever it expected."""
    assert lin("""
C0: |-- put(x,1) --|
C1:                  |-- cas(x,1,3) --!  |-- get(x)->1 --|
""").ok


def test_register_model_rejects_siblings_and_append():
    """A register holds one value: two siblings cannot be linearized; append is not a register op."""
    h = parse_ascii("""
C0: |-- put(x,1) --|
C1: |-- put(x,2) --|
""")
    h.append({"id": 9, "client": "C2", "op": "get", "key": "x", "value": (1, 2),
              "invoke_ms": 30, "complete_ms": 31, "outcome": "ok"})
    assert check_linearizability(h, register_model()).verdict == NOT_LINEARIZABLE
    h[-1]["value"] = (2,)
    assert check_linearizability(h, register_model()).ok
    with pytest.raises(HistoryError, match="row 0"):
        lin("C0: |-- append(x,1) --|", register_model())


def test_accepts_history_objects_and_frames():
    """The same verdict from a History, records and a DataFrame."""
    h = History()
    a = h.invoke("c0", "put", "x", 1, 0)
    History.complete(a, "ok", 10)
    b = h.invoke("c1", "get", "x", None, 20)
    History.complete(b, "ok", 30, output=None)
    frame = pd.DataFrame(h.records())
    for given in (h, h.records(), frame):
        assert check_linearizability(given).verdict == NOT_LINEARIZABLE


def test_step_budget_gives_reproducible_unknown():
    """Past max_steps the verdict is unknown, with the same step count every time."""
    drawing = "\n".join(f"C{i}: |{'-' * 3} put(x,{i}) {'-' * 40}?" for i in range(12))
    drawing += "\nR:  " + " " * 60 + "|-- get(x)->99 --|"
    first = lin(drawing, max_steps=50)
    assert first.verdict == UNKNOWN_VERDICT and not first.ok
    assert lin(drawing, max_steps=50).steps == first.steps
    assert "max_steps" in first.explain()
    assert lin(drawing).verdict == NOT_LINEARIZABLE


def test_empty_history_is_linearizable():
    assert check_linearizability([]).ok


def test_timed_out_write_of_current_value_may_still_land_later():
    """An info put(x,1) while x is already 1 is not a no-op: it may land after put(x,2)."""
    r = lin("""
C0: |-put(x,1)-|
C1:              |-put(x,1)-?
C2:                             |-put(x,2)-|
C3:                                           |-get(x)->1-|
""", register_model())
    assert r.ok, r.explain()


def test_identical_writes_are_not_interchangeable_when_intervals_differ():
    """Of two put(x,1), the long one can land after put(x,2); the short one cannot."""
    drawing = """
C0: |-------------------------------- put(x,1) --------------------------------|
C1:    |-put(x,1)-|   |-put(x,2)-|  |-get(x)->2-|   |-get(x)->1-|
"""
    assert lin(drawing, register_model()).ok
    # Swap which write is long: now no put(x,1) can follow the read of 2.
    assert not lin("""
C0: |-put(x,1)-|
C1:    |-put(x,1)-|   |-put(x,2)-|  |-get(x)->2-|   |-get(x)->1-|
""", register_model()).ok
