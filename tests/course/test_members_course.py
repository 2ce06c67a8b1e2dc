"""Notebook 03's arbiter (PSA) section: every claim it makes, computed by caplab.course.members.

Sources: MongoDB manual, "Default MongoDB Read Concerns/Write Concerns" (the implicit default
{w: 1} for PSA), "Replica Set Arbiter" (holds no data; PSA: w:"majority" can stall with a
secondary down), and MongoDB's election tests ("arbiters vote no in elections if they can see a
healthy primary of equal or greater priority to the candidate").
"""

import pytest

from caplab.course.members import default_write_concerns, psa


@pytest.fixture(scope="module")
def facts():
    return psa(seed=1)


def test_default_write_concern_by_shape():
    """The manual's table: PSS and 4+1 arbiter default to majority; PSA to w:1."""
    assert default_write_concerns() == {"PSS": "majority", "PSA": 1, "PSSSA": "majority"}


def test_the_arbiter_holds_no_data(facts):
    """The arbiter's oplog stays empty while the set takes writes."""
    assert facts.arbiter_oplog_len == 0 and facts.arbiter == "n3"


def test_secondary_down_keeps_the_primary_and_w1_writes(facts):
    """With the secondary down, the primary stays (its vote and the arbiter's are a majority)
    and the default w:1 write is acknowledged."""
    assert facts.primary_after_crash == facts.primary
    assert facts.w1_write.ok and facts.w1_write.node == facts.primary


def test_a_majority_write_times_out_and_is_not_undone(facts):
    """w:'majority' cannot be satisfied: the arbiter acknowledges nothing; wtimeout says so."""
    assert facts.majority_write.outcome == "info"
    assert "wtimeout" in facts.majority_write.error
    assert "not undone" in facts.majority_write.error


def test_majority_reads_stay_behind_until_the_secondary_returns(facts):
    """The majority commit point stops: local reads see 'after', majority reads 'before',
    until the secondary is back and has caught up."""
    assert facts.local_read.value == "after" and facts.majority_read.value == "before"
    assert facts.after_restart_majority_read.value == "after"


def test_the_arbiter_keeps_the_primary_in_a_partial_partition(facts):
    """Cut primary and secondary apart: the arbiter refuses the secondary's dry runs, so the
    primary keeps term 1 (in PSS the cut secondary would win, section 1)."""
    assert facts.partial_primary == facts.primary and facts.partial_terms == (1,)
    assert facts.arbiter_refusals >= 1


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_the_story_holds_for_other_seeds(seed):
    """Not a one-seed accident."""
    f = psa(seed=seed)
    assert f.w1_write.ok and f.majority_write.outcome == "info"
    assert (f.local_read.value, f.majority_read.value) == ("after", "before")
    assert f.partial_primary == f.primary and f.partial_terms == (1,)
