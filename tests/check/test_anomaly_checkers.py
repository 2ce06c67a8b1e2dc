"""Known-answer tests for stale reads, lost writes, sessions, convergence and the summary."""

import pandas as pd
import pytest

from asciihist_caplab import parse_ascii
from caplab.check import (MONOTONIC_READS, READ_YOUR_WRITES, SUMMARY_COLUMNS,
                          check_convergence, check_lost_writes, check_sessions,
                          check_stale_reads, summarize)
from caplab.errors import HistoryError

STALE = """
A: |-put(x,1)-|   |-put(x,2)-|   |-put(x,3)-|
B:                                               |-get(x)->1-|  |-get(x)->3-|
"""


def test_stale_read_versions_and_ms():
    """get -> 1 after put 2 and put 3 completed: two versions behind, since put 2 completed."""
    h = parse_ascii(STALE)
    result = check_stale_reads(h)
    assert result.bad_ops == (3,)
    s = result.stale[0]
    assert s.versions_behind == 2
    assert s.stale_ms == h[3]["invoke_ms"] - h[1]["complete_ms"]
    assert s.latest_value == 3 and s.newer_write_ids == (1, 2)
    assert "2 newer write(s)" in result.explain()
    assert list(result.to_frame()["id"]) == [3]


def test_concurrent_write_does_not_make_a_read_stale():
    """A read overlapping the newer write may return the older value."""
    assert check_stale_reads(parse_ascii("""
A: |-put(x,1)-|   |------ put(x,2) ------|
B:                  |-get(x)->1-|
""")).ok


def test_absent_read_after_write_is_stale_and_siblings():
    h = parse_ascii("""
A: |-put(x,1)-|
B:              |-get(x)->nil-|
""")
    assert check_stale_reads(h).stale[0].versions_behind == 1
    h[1]["value"] = (1, None)  # one sibling is current: not stale
    assert check_stale_reads(h).ok


def test_lost_write_by_final_state_and_by_last_read():
    """put 2 acknowledged, yet the key ends (or is last read) as the older 1."""
    h = parse_ascii("""
A: |-put(x,1)-|   |-put(x,2)-|
B:                              |-get(x)->1-|
""")
    assert check_lost_writes(h).bad_ops == (1,)
    assert check_lost_writes(h, final_state={"x": 2}).ok
    assert check_lost_writes(h, final_state={"x": 1}).bad_ops == (1,)
    assert check_lost_writes(h, final_state={"x": [1, 2]}).ok  # a sibling survives
    assert check_lost_writes(h, final_state={}).bad_ops == (0, 1)  # key vanished
    with pytest.raises(HistoryError, match="final_state"):
        check_lost_writes(h, final_state=[1])


def test_overwritten_write_is_not_lost():
    h = parse_ascii("""
A: |-put(x,1)-|   |-put(x,2)-|
B:                              |-get(x)->2-|
""")
    assert check_lost_writes(h).ok


def test_lost_append():
    h = parse_ascii("""
A: |-append(k,a)-|  |-append(k,b)-|
B:                                   |-get(k)->a-|
""")
    assert check_lost_writes(h).bad_ops == (1,)
    assert check_lost_writes(h, final_state={"k": "ab"}).ok


def test_read_your_writes_and_monotonic_reads():
    h = parse_ascii("""
A: |-put(x,1)-|   |-put(x,2)-|  |-get(x)->1-|
B:                                           |-get(x)->2-|  |-get(x)->1-|  |-get(x)->2-|
""")
    result = check_sessions(h)
    assert [v.id for v in result.of(READ_YOUR_WRITES)] == [2]
    assert [v.id for v in result.of(MONOTONIC_READS)] == [4]
    assert result.of(MONOTONIC_READS)[0].expected == 2
    assert not result.ok and "read-your-writes" in result.explain()


def test_sessions_hold_on_a_linearizable_history():
    assert check_sessions(parse_ascii(STALE.replace("get(x)->1", "get(x)->3"))).ok


SNAPS = pd.DataFrame([
    dict(time_ms=0, node="n1", key="x", value=1), dict(time_ms=0, node="n2", key="x", value=1),
    dict(time_ms=10, node="n1", key="x", value=2), dict(time_ms=10, node="n2", key="x", value=1),
    dict(time_ms=10, node="n1", key="y", value=7), dict(time_ms=10, node="n2", key="z", value=None),
    dict(time_ms=20, node="n1", key="x", value=2), dict(time_ms=20, node="n2", key="x", value=2),
    dict(time_ms=20, node="n1", key="y", value=7),
    dict(time_ms=30, node="n1", key="x", value=2), dict(time_ms=30, node="n2", key="x", value=2),
    dict(time_ms=30, node="n1", key="y", value=7), dict(time_ms=30, node="n2", key="y", value=7),
])


def test_convergence_over_time():
    """x differs and y is missing on n2 at 10 ms; all agree from 30 ms."""
    result = check_convergence(SNAPS, heal_ms=15)
    assert result.divergent_keys == (0, 2, 1, 0)
    assert result.keys_by_time[10] == ["x", "y"]
    assert result.converged_ms == 30 and result.time_to_converge_ms == 15
    assert list(result.to_frame().columns) == ["time_ms", "divergent_keys"]
    never = check_convergence(SNAPS[SNAPS.time_ms < 30], heal_ms=15)
    assert never.verdict == "diverged" and never.time_to_converge_ms is None
    with pytest.raises(HistoryError, match="missing column 'node'"):
        check_convergence([{"time_ms": 0, "key": "x", "value": 1}])


def test_summary_frame():
    """One row per check, verdicts from each checker."""
    frame = summarize(parse_ascii(STALE), snapshots=SNAPS, heal_ms=15)
    assert tuple(frame.columns) == SUMMARY_COLUMNS
    by = dict(zip(frame["check"], frame["verdict"]))
    assert by == {"linearizability": "not linearizable", "stale reads": "violated",
                  "lost writes": "ok", READ_YOUR_WRITES: "ok", MONOTONIC_READS: "ok",
                  "convergence": "converged"}
    ok = summarize(parse_ascii(STALE.replace("get(x)->1", "get(x)->3")))
    assert set(ok["verdict"]) == {"linearizable", "ok"} and len(ok) == 5
