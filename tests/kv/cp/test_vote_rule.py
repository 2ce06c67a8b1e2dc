"""The ``vote_rule`` option of CP mode: a replaceable voting rule, validated and traced."""

from __future__ import annotations

import pytest

from caplab.errors import ConfigError
from caplab.kv import Cluster
from caplab.kv.cp import Ballot, mongodb_vote_rule

from caplab.kv.probes import events

from helpers_cp import cluster, primaries_by_term


def test_default_rule_is_mongodb():
    """Without vote_rule the set uses MongoDB's rule."""
    c = cluster()
    assert c.backend.vote_rule is mongodb_vote_rule
    assert Cluster.options_for("cp")["vote_rule"] is None


def test_mongodb_rule_known_answers():
    """Older term, second vote and staler candidate are refused; a fresh candidate is granted."""
    assert mongodb_vote_rule(Ballot("n2", 3, None, (2, 5), "n1", 3, (2, 5))) == (True, "ok")
    assert not mongodb_vote_rule(Ballot("n2", 4, None, (2, 5), "n1", 3, (2, 5)))[0]
    assert not mongodb_vote_rule(Ballot("n2", 3, "n3", (2, 5), "n1", 3, (2, 5)))[0]
    granted, reason = mongodb_vote_rule(Ballot("n2", 3, None, (2, 7), "n1", 3, (2, 5)))
    assert not granted and "older" in reason


def test_custom_rule_receives_plain_ballots_and_decides():
    """The rule gets Ballot data (dry runs flagged) and its verdict and reason are traced."""
    seen = []

    def rule(ballot):
        seen.append(ballot)
        return mongodb_vote_rule(ballot)

    c = cluster(vote_rule=rule)
    assert c.primary is not None
    assert any(b.dry_run for b in seen) and any(not b.dry_run for b in seen)
    assert all(isinstance(b.voter_last_optime, tuple) for b in seen)


def test_a_rule_that_refuses_everything_elects_nobody():
    """The hook really decides: refusing every vote leaves the set without a primary."""
    c = Cluster(mode="cp", nodes=3, seed=1, vote_rule=lambda b: (False, "no"))
    c.run_for(5000)
    assert c.primary is None
    votes = events(c, "election", action="vote")
    assert votes and not any(e.data["granted"] for e in votes)
    assert any(e.data["reason"] == "no" for e in votes)      # the rule's own answer, traced


def test_a_bool_answer_is_accepted():
    """A rule may return a plain bool."""
    c = cluster(vote_rule=lambda b: mongodb_vote_rule(b)[0])
    assert c.primary is not None


def test_double_voting_rule_elects_two_primaries_in_one_term():
    """A rule without 'one vote per term' lets simultaneous candidates both win."""
    def twice(b):
        return b.candidate_term >= b.voter_term and b.candidate_last_optime >= b.voter_last_optime
    c = Cluster(mode="cp", nodes=5, seed=1, vote_rule=twice, election_jitter_ms=0)
    c.run_for(3000)
    assert any(len(m) > 1 for m in primaries_by_term(c).values())


@pytest.mark.parametrize("bad", [3, "mongodb", object()])
def test_non_callable_rule_is_refused(bad):
    """A non-callable vote_rule is a ConfigError naming it."""
    with pytest.raises(ConfigError, match="vote_rule"):
        Cluster(mode="cp", nodes=3, seed=1, vote_rule=bad)


def test_malformed_answer_is_a_config_error():
    """A rule returning something else than (granted, reason) fails with a clear message."""
    c = Cluster(mode="cp", nodes=3, seed=1, vote_rule=lambda b: "yes")
    with pytest.raises(ConfigError, match=r"must return \(granted, reason\)"):
        c.run_for(3000)
