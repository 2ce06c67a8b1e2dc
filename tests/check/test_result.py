"""One result type for every checker: verdict, offending ops, reasons, details, frames."""

import pandas as pd
import pytest

from asciihist_caplab import parse_ascii
from caplab.check import (MONOTONIC_READS, READ_YOUR_WRITES, CheckResult, check_all,
                          check_convergence, check_linearizability, check_lost_writes,
                          check_sessions, check_stale_reads, summarize)
from caplab.errors import UnknownNameError
from caplab.viz._common import bad_ops_of
from caplab.viz.timeline import flagged_by

BAD = parse_ascii("""
A: |-put(x,1)-|   |-put(x,2)-|   |-put(x,3)-|
B:                                               |-get(x)->1-|  |-get(x)->2-|  |-get(x)->nil-|
""")
SNAPS = [dict(time_ms=0, node="n1", key="x", value=1), dict(time_ms=0, node="n2", key="x",
                                                            value=2)]


def _all_results():
    return [check_linearizability(BAD), check_stale_reads(BAD), check_lost_writes(BAD),
            check_sessions(BAD), check_convergence(SNAPS)]


def test_every_checker_returns_a_check_result_with_aligned_reasons():
    """Each result is a CheckResult, violated here, with one reason per offending op."""
    for result in _all_results():
        assert isinstance(result, CheckResult), type(result)
        assert result.valid is False and not result.ok and result.checker
        assert result.bad_ops == result.offending
        assert len(set(result.offending)) == len(result.offending)
        if result.offending:
            assert len(result.reasons) == len(result.offending)
            assert result.reason_for(result.offending[0]) == result.reasons[0]
        else:
            assert result.reasons  # convergence: the keys that disagree, in words
        assert result.explain() and "\n" not in result.brief()


def test_checker_names_are_their_summary_rows():
    """checker names the row summarize() shows, so a view can title a result by it."""
    names = [r.checker for r in _all_results()]
    assert names == ["linearizability", "stale reads", "lost writes", "session guarantees",
                     "convergence"]
    assert [flagged_by(r) for r in _all_results()] == names
    assert flagged_by([1, 2]) is None


def test_truth_value_is_refused_because_unknown_is_neither():
    """bool(result) raises: unknown (budget exhausted) is neither true nor false."""
    with pytest.raises(TypeError, match="use .ok, .valid or .verdict"):
        bool(check_stale_reads(BAD))
    unknown = check_linearizability(BAD, max_steps=1)
    assert unknown.valid is None and unknown.verdict == "unknown" and not unknown.ok


def test_one_read_violating_two_session_guarantees_is_one_offending_op():
    """Findings about the same op are joined into its one reason."""
    h = parse_ascii("""
A: |-put(x,1)-|  |-put(x,2)-|  |-get(x)->2-|  |-get(x)->1-|
""")
    result = check_sessions(h)
    assert len(result.violations) == 2 and result.offending == (3,)
    assert READ_YOUR_WRITES in result.reasons[0] and MONOTONIC_READS in result.reasons[0]
    assert result.guarantee(MONOTONIC_READS).checker == MONOTONIC_READS
    with pytest.raises(UnknownNameError, match="monotonic writes"):
        result.guarantee("monotonic writes")


def test_views_read_reasons_without_knowing_the_checker():
    """bad_ops_of maps every result's offending ids to its reasons, for any checker."""
    for result in _all_results():
        assert bad_ops_of(result) == dict(zip(result.offending, result.reasons))
    generic = CheckResult(checker="made up", valid=False, offending=("a",), reasons=("why",))
    assert bad_ops_of(generic) == {"a": "why"}
    frame = generic.to_frame()
    assert list(frame.columns) == ["checker", "id", "reason"] and frame["id"].tolist() == ["a"]


def test_structured_steps_and_counts():
    """The search-step count and the worst lag are data, not text to parse."""
    lin = check_linearizability(BAD)
    assert lin.details["steps"] == lin.steps > 0
    stale = check_stale_reads(BAD)
    assert stale.details["max_versions_behind"] == 3 and stale.details["reads_checked"] == 3
    assert check_convergence(SNAPS).count == 1


def test_summary_table_has_valid_and_steps_and_no_steps_in_text():
    """summarize() rows carry valid and steps as columns; the detail does not repeat steps."""
    ok = summarize(parse_ascii("A: |-put(x,1)-|  |-get(x)->1-|"))
    row = ok.set_index("check").loc["linearizability"]
    assert row["valid"] is True or row["valid"] == True  # noqa: E712 (numpy bool)
    assert row["steps"] > 0 and "search step" not in row["detail"]
    assert pd.isna(ok.set_index("check").loc["stale reads", "steps"])


def test_check_all_gives_results_frame_and_bar_numbers_from_one_run():
    """check_all is the one place: results by name, the table, and the bars' dict."""
    summary = check_all(BAD, snapshots=SNAPS)
    assert [r.checker for r in summary.results][-1] == "convergence"
    assert summary["stale reads"].offending == (3, 4, 5)
    bars = summary.as_dict(window=(0, 10_000))
    assert bars["ops"] == 6 and bars["ok"] == 6 and bars["stale_reads"] == 3
    assert bars["linearizable"] is False and bars["worst_client"] in ("A", "B")
    assert summary.to_frame()["check"].tolist()[:2] == ["linearizability", "stale reads"]
    with pytest.raises(UnknownNameError, match="'stale'"):
        summary["stale"]
