"""Malformed histories are rejected with a HistoryError naming the row."""

import pandas as pd
import pytest

from caplab.check import (check_linearizability, check_lost_writes, check_sessions,
                          check_stale_reads, normalize_history, summarize)
from caplab.errors import HistoryError


def op(**kw):
    base = dict(client="c0", op="put", key="x", value=1, invoke_ms=0, complete_ms=5,
                outcome="ok")
    base.update(kw)
    return base


GOOD = op(id=0)
CASES = {
    "unknown op": ([GOOD, op(id=1, op="increment", invoke_ms=10, complete_ms=12)],
                   r"row 1 \(id=1\): unknown op 'increment'"),
    "bad outcome": ([GOOD, op(id=1, outcome="timeout", invoke_ms=10, complete_ms=12)],
                    r"row 1 \(id=1\): unknown outcome 'timeout'"),
    "complete before invoke": ([op(id=0, invoke_ms=10, complete_ms=4)],
                               r"row 0 \(id=0\): completes at 4 ms before it was invoked"),
    "completion without invocation": ([GOOD, op(id=1, invoke_ms=None, complete_ms=12)],
                                      r"row 1 \(id=1\): completion without an invocation"),
    "two in flight": ([op(id=0, invoke_ms=0, complete_ms=10),
                       op(id=1, invoke_ms=5, complete_ms=12)],
                      r"row 1 \(id=1\): client 'c0' .* while its operation in row 0"),
    "ok without completion": ([op(id=0, complete_ms=None)], r"row 0 .* needs complete_ms"),
    "duplicate id": ([GOOD, op(id=0, invoke_ms=10, complete_ms=12)], r"row 1: duplicate id 0"),
    "bad cas value": ([op(id=0, op="cas", value=3)], r"row 0 .* cas value must be a pair"),
    "missing column": ([{"client": "c0", "op": "get", "key": "x", "invoke_ms": 0}],
                       r"row 0 .* missing column 'outcome'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("checker", [normalize_history, check_linearizability, check_stale_reads,
                                     check_lost_writes, check_sessions, summarize])
def test_malformed_history_names_the_row(case, checker):
    records, pattern = CASES[case]
    with pytest.raises(HistoryError, match=pattern):
        checker(records)


def test_frame_with_nan_and_missing_columns():
    """pandas NaN becomes None; a frame lacking a required column is refused."""
    frame = pd.DataFrame([op(id=0), op(id=1, client="c1", op="get", value=None, invoke_ms=6,
                                      complete_ms=9)])
    recs = normalize_history(frame)
    assert recs[1]["value"] is None and recs[0]["value"] == 1  # pandas made it 1.0: equal
    with pytest.raises(HistoryError, match="lacks column"):
        normalize_history(frame.drop(columns=["outcome"]))


def test_info_without_completion_frees_the_client():
    """A client may go on after abandoning an info operation."""
    recs = normalize_history([op(id=0, outcome="info", complete_ms=None),
                              op(id=1, invoke_ms=3, complete_ms=4)])
    assert [r["id"] for r in recs] == [0, 1]


def test_not_a_history():
    with pytest.raises(HistoryError, match="got int"):
        normalize_history(42)
    with pytest.raises(HistoryError, match="max_steps"):
        check_linearizability([], max_steps=0)
