"""The anomaly checkers at scale: the same answers as brute force, in about n log n time."""


from hypothesis import given, settings
from hypothesis import strategies as st

import reference_checkers as ref
from caplab.check import check_all, check_linearizability, check_lost_writes, check_stale_reads
from caplab.check.synthetic import register_history


@st.composite
def histories(draw):
    """Small put/get histories on two keys: overlapping intervals, shared completion times,
    sibling and absent reads, info and fail writes, values read that nobody wrote."""
    ops, value = [], 0
    for i in range(draw(st.integers(1, 14))):
        invoke = draw(st.integers(0, 30))
        complete = invoke + draw(st.integers(0, 12))
        key = draw(st.sampled_from("xy"))
        if draw(st.booleans()):
            value += 1
            outcome = draw(st.sampled_from(["ok", "ok", "ok", "info", "fail"]))
            ops.append(dict(client=f"c{i}", op="put", key=key, value=value, invoke_ms=invoke,
                            complete_ms=None if outcome == "info" else complete,
                            outcome=outcome))
        else:
            got = draw(st.one_of(st.none(), st.integers(1, 8),
                                 st.tuples(st.integers(1, 8), st.none())))
            ops.append(dict(client=f"c{i}", op="get", key=key, value=got, invoke_ms=invoke,
                            complete_ms=complete, outcome="ok"))
    return ops


@settings(max_examples=300, deadline=None)
@given(histories())
def test_stale_reads_agree_with_brute_force(history):
    """Every stale read, its lag and the writes that replaced it match the pairwise scan."""
    fast = [(s.id, s.versions_behind, s.stale_ms, s.newer_write_ids, s.latest_value)
            for s in check_stale_reads(history).stale]
    assert fast == ref.stale_reads(history)


@settings(max_examples=300, deadline=None)
@given(histories())
def test_lost_writes_agree_with_brute_force(history):
    """Every lost write and the read that shows it match the pairwise scan."""
    fast = [(x.id, x.evidence) for x in check_lost_writes(history).lost]
    assert fast == ref.lost_writes(history)


def test_stale_and_lost_write_checks_handle_40000_operations():
    """40,000 operations on 4 keys: the generator's stale reads are all found (the time this
    takes, quadratic before, is measured by benchmarks/bench_checker.py, not asserted)."""
    h = register_history(40_000, keys=4, seed=3, stale_fraction=0.01, info_fraction=0.01,
                         fail_fraction=0.01)
    stale = check_stale_reads(h)
    assert stale.valid is False and len(stale.stale) > 100
    assert check_lost_writes(h).valid is not None


def test_linearizability_on_one_key_with_40000_operations():
    """One key with 40,000 operations is decided, with the same search steps as before the
    linearized set became a window (its time, 20 s before and 1.5 s after, is measured by the
    checker benchmark, not asserted)."""
    h = register_history(40_000, keys=1, seed=4, info_fraction=0.01, fail_fraction=0.01)
    result = check_linearizability(h)
    assert result.ok and result.steps == 1_554_064


def test_summary_of_a_seeded_generated_history_is_deterministic_and_correct():
    """The generator's stale reads are found; the same seed gives the same summary."""
    h = register_history(2_000, keys=4, seed=5, stale_fraction=0.05)
    clean = register_history(2_000, keys=4, seed=5)
    assert check_all(clean).as_dict()["linearizable"] is True
    s = check_all(h)
    assert s["stale reads"].count > 0 and s["linearizability"].valid is False
    assert s.to_frame().equals(check_all(register_history(2_000, keys=4, seed=5,
                                                          stale_fraction=0.05)).to_frame())
