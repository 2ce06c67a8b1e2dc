"""Lab 3 (voting): write the voting rule of a replica-set election and let the checker catch a
wrong one.

The student writes ``vote_rule(ballot) -> (granted, reason)`` (see
:class:`caplab.kv.cp.voting.Ballot`); the grader plugs it into ``Cluster(mode="cp",
vote_rule=...)`` and runs two seeded scenarios per seed with ``w: "majority"`` writes:

* *simultaneous candidates*: no election jitter, so members time out together and several
  candidates ask for votes in the same term (a rule that votes twice elects two primaries);
* *shifting partitions*: the network is re-partitioned at random without healing in between, so
  a member that fell behind in a minority can land in a majority without the primary (a rule
  that votes for staler candidates elects a primary that lacks majority-acknowledged writes,
  which are then rolled back).

The new primary's catch-up phase is switched off (``catch_up_timeout_ms=0``, MongoDB's
``catchUpTimeoutMillis: 0``): left on, it fetches the newer entries from any member it can reach
and would hide many a wrong vote; off, as in Raft, the voting rule alone must keep the data.

Verdicts come from the trace (primaries per term, rollbacks) and from :mod:`caplab.check`
(stale reads with linearizable reads, lost writes). A rule that survives the runs is then asked
a few fixed ballots directly (:data:`PROBES`): some wrong rules, such as one that grants a
candidate from an older term, do no visible damage in these runs (the candidate steps down on
the voter's newer term) but still spend the voter's vote, so the simulation alone cannot catch
them.
"""

from __future__ import annotations

import functools

from ...check import check_lost_writes, check_stale_reads
from ...kv import Cluster
from ...kv.cp.voting import Ballot, apply_vote_rule
from ...kv.cp.voting import mongodb_vote_rule as _reference_vote_rule
from ...kv.workload import Workload
from ..exercise import Exercise
from ._common import (SEEDS, Incorrect, primaries_by_term, random_partitions, require_function,
                      skeleton_is_not_attempted, source_of)

__all__ = ["q1", "run_election_scenario", "PROBES", "probe_vote_rule"]


# The reference answer is the rule the replica set itself uses (MongoDB's, and Raft's): one
# copy, in :mod:`caplab.kv.cp.voting`, imported under a private name so that it does not show
# in tab-completion; ``solution()`` prints its source as ``vote_rule``.


#: Catch-up is switched off (MongoDB's ``catchUpTimeoutMillis: 0``): a new primary's catch-up
#: phase fetches newer entries from members it can reach and so hides many a wrong vote; with
#: it off, as in Raft, the voting rule alone must keep majority-committed writes. Retryable
#: writes are off too: a retried write is acknowledged by a second oplog entry, and the grader
#: must tie every acknowledgement to the one entry it checks is never rolled back.
NO_CATCH_UP = {"catch_up_timeout_ms": 0, "retry_writes": False}

SCENARIOS = {
    # name: cluster options (the fault schedule is drawn by random_partitions)
    "simultaneous candidates": {"election_jitter_ms": 0, **NO_CATCH_UP},
    "shifting partitions": {"election_jitter_ms": 1000, **NO_CATCH_UP},
}


def run_election_scenario(vote_rule, seed: int, scenario: str = "shifting partitions", *,
                          nodes: int = 5, duration_ms: int = 8000) -> dict:
    """Run one seeded scenario with ``vote_rule`` and return its facts.

    Returns:
        a dict: ``cluster``, ``two_primaries`` ({term: [members]} with more than one),
        ``lost_acknowledged`` (rolled-back writes that had been acknowledged with w:majority),
        ``stale`` (:func:`~caplab.check.check_stale_reads` result), ``lost``
        (:func:`~caplab.check.check_lost_writes` result), ``elections`` (count), ``ballots``
        (every ``(ballot, answer)`` the rule was asked, in order).
    """
    ballots = []   # (ballot, the rule's answer), in the order the voters asked

    @functools.wraps(vote_rule)
    def recorded(ballot):
        answer = vote_rule(ballot)
        ballots.append((ballot, answer))
        return answer

    c = Cluster(mode="cp", nodes=nodes, seed=seed, vote_rule=recorded,
                **SCENARIOS[scenario])
    c.run_for(1500)
    random_partitions(c, start_ms=c.now, duration_ms=duration_ms, stream="lab03.partitions")
    w = Workload(c, clients=nodes, keys=3, read_fraction=0.3, mean_think_ms=30,
                 put_options={"w": "majority"}, get_options={"read_concern": "linearizable"})
    w.run(duration_ms=duration_ms)
    c.run_for(4000)   # healed: let the set settle and roll back what it must
    acknowledged = {(op.key, op.value) for op in c.history
                    if op.op == "put" and op.outcome == "ok"}
    lost_ack = [r for r in c.rollbacks() if (r["key"], r["value"]) in acknowledged]
    two = {t: m for t, m in primaries_by_term(c).items() if len(m) > 1}
    return {"cluster": c, "two_primaries": two, "lost_acknowledged": lost_ack,
            "stale": check_stale_reads(c.history),
            "lost": check_lost_writes(c.history, final_state=c.backend.export_data()),
            "elections": len(c.backend.elections), "ballots": ballots}


#: Fixed ballots the rule is asked directly after the simulated runs:
#: (what the situation is, the ballot, whether the vote must be granted, why).
PROBES = (
    ("candidate n1 asks for votes in term 2, but you (n2) are already in term 3; both oplogs "
     "end at (2, 7)",
     Ballot("n2", 3, None, (2, 7), "n1", 2, (2, 7)), False,
     "a candidate from an older term must be refused: its election is over, and granting "
     "would spend your one vote of term 3 on a member that cannot win it"),
    ("you (n2) already voted for n3 in term 3; now n1 asks for your vote in term 3 too",
     Ballot("n2", 3, "n3", (2, 7), "n1", 3, (2, 7)), False,
     "a member votes at most once per term; a second vote can elect two primaries in one term"),
    ("candidate n1's oplog ends at (2, 5), yours (n2) at (2, 7), both in term 3",
     Ballot("n2", 3, None, (2, 7), "n1", 3, (2, 5)), False,
     "a candidate whose oplog is behind yours must be refused: it may lack a "
     "majority-committed write you hold"),
    ("candidate n1's oplog ends at (1, 9), yours (n2) at (2, 1), both in term 3",
     Ballot("n2", 3, None, (2, 1), "n1", 3, (1, 9)), False,
     "optimes compare by term first, then by index: (1, 9) is older than (2, 1), so the "
     "candidate is behind you"),
    ("candidate n1 starts an election for term 4 while you (n2) were in term 3 (you have "
     "adopted term 4 and not voted in it); its oplog ends at (3, 2), yours at (2, 7)",
     Ballot("n2", 4, None, (2, 7), "n1", 4, (3, 2)), True,
     "a candidate in the current term whose oplog is at least as recent as yours must get "
     "your vote, or no primary can be elected"),
    ("candidate n1 asks for your vote in term 3; you (n2) have not voted in term 3 and both "
     "oplogs end at (2, 7)",
     Ballot("n2", 3, None, (2, 7), "n1", 3, (2, 7)), True,
     "a candidate exactly as up to date as you is not behind you: it must get your vote"),
    ("dry run: candidate n1 polls for term 4 while you (n2) are in term 3; its oplog ends at "
     "(2, 7) like yours",
     Ballot("n2", 3, None, (2, 7), "n1", 4, (2, 7), dry_run=True), True,
     "the pre-election poll asks about a newer term, in which you have not voted: an "
     "up-to-date candidate must get the vote"),
)


def probe_vote_rule(vote_rule) -> None:
    """Ask ``vote_rule`` the fixed :data:`PROBES` ballots; raise :class:`Incorrect` (no seed:
    no simulation is involved) at the first wrong verdict, in plain words."""
    for situation, ballot, expected, why in PROBES:
        granted, reason = apply_vote_rule(vote_rule, ballot)
        if granted != expected:
            verdict = (f"granted the vote ({reason!r})" if granted
                       else f"refused the vote ({reason!r})")
            raise Incorrect(f"the simulated runs passed, but asked directly: {situation}. Your "
                            f"rule {verdict}; {why}. (Replay: vote_rule({ballot!r}))")


def _granted(answer) -> bool:
    """Whether the rule's recorded answer granted the vote (read as the cluster reads it)."""
    return apply_vote_rule(lambda _ballot: answer, None)[0]


def _nobody_elected(ballots) -> str:
    """Why no primary was elected, from the ballots the rule answered."""
    granted = sum(_granted(a) for _, a in ballots)
    text = (f"no primary was ever elected: no candidate won a majority of the votes (your rule "
            f"granted {granted} of the {len(ballots)} ballots it was asked), so the set never "
            f"accepted a write")
    equal = next((b for b, a in ballots if not _granted(a)
                  and tuple(b.candidate_last_optime) == tuple(b.voter_last_optime)
                  and b.candidate_term >= b.voter_term
                  and b.voted_for in (None, b.candidate)), None)
    if equal is not None:
        text += (f". For example {equal.voter} refused {equal.candidate} in term "
                 f"{equal.candidate_term} although both oplogs end at "
                 f"{tuple(equal.voter_last_optime)}: a candidate exactly as up to date as the "
                 f"voter is not behind it and must get the vote (at the start every oplog is "
                 f"equal, so refusing equal optimes elects nobody)")
    elif not granted:
        text += ". It refused every candidate"
    return text


def _grade(vote_rule) -> str:
    require_function(vote_rule, "a function vote_rule(ballot) -> (granted, reason)", 1)
    runs = 0
    for seed in SEEDS:
        for scenario in SCENARIOS:
            facts = run_election_scenario(vote_rule, seed, scenario)
            runs += 1
            if facts["elections"] == 0:
                raise Incorrect(f"[{scenario}] {_nobody_elected(facts['ballots'])}", seed=seed)
            if facts["two_primaries"]:
                term, members = next(iter(sorted(facts["two_primaries"].items())))
                who = ", ".join(members[:-1]) + " and " + members[-1]
                raise Incorrect(f"[{scenario}] {len(members)} primaries in term {term}: "
                                f"{who} each won a majority; a voter must grant at most one "
                                f"vote per term", seed=seed)
            if facts["lost_acknowledged"]:
                r = facts["lost_acknowledged"][0]
                raise Incorrect(f"[{scenario}] the majority-acknowledged write {r['key']}="
                                f"{r['value']!r} was rolled back on {r['node']} at "
                                f"{r['time_ms']} ms: a primary was elected without it (a voter "
                                f"granted a candidate whose oplog was behind its own)", seed=seed)
            if not facts["lost"].ok:
                raise Incorrect(f"[{scenario}] {facts['lost'].explain()}", seed=seed)
            if not facts["stale"].ok:
                s = facts["stale"].stale[0]
                raise Incorrect(f"[{scenario}] a linearizable read of {s.key!r} returned "
                                f"{s.value!r}, {s.versions_behind} acknowledged write(s) old: "
                                f"an elected primary lacked majority-committed writes",
                                seed=seed)
    probe_vote_rule(vote_rule)
    return (f"{runs} runs ({len(SEEDS)} seeds x {len(SCENARIOS)} scenarios) under random "
            f"partitions: one primary per term, no majority-acknowledged write lost, no stale "
            f"linearizable read; and the right verdict on {len(PROBES)} fixed ballots.")


q1 = Exercise(
    "Lab 3, question 1: the voting rule",
    answer_name="vote_rule",
    grader=skeleton_is_not_attempted(_grade),
    hint=("What could go wrong if a voter said yes too easily? Think of two primaries in one "
          "term, and of a primary that lacks a write a majority acknowledged.",
          "A vote is a promise about one term, and a majority-committed write is on at least one "
          "member of every majority. So a voter must look at the candidate's term, at whom it "
          "already voted for (ballot.voted_for), and at how recent the candidate's oplog is "
          "compared with its own.",
          "Three guards, in order: refuse a candidate whose term is older than yours; refuse "
          "if you already voted for someone else in this term; refuse a candidate whose last "
          "optime (term, index) is older than yours (tuples compare in order: term first). "
          "Otherwise grant."),
    solution=source_of(_reference_vote_rule, name="vote_rule"),
    reference=_reference_vote_rule,
)
