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
  which are then rolled back);
* *deposed primary* (scripted): the primary, cut off with one secondary, keeps appending writes
  it cannot commit, so its oplog ends later in index but in an older term than the new
  primary's; then it meets a member of the new majority (a rule that compares indexes, not
  terms first, elects it and rolls back majority-acknowledged writes);
* *slow vote requests*: vote requests take up to 2.5 s while partitions shift, so some arrive
  after the voter has moved to a newer term.

The new primary's catch-up phase is switched off (``catch_up_timeout_ms=0``, MongoDB's
``catchUpTimeoutMillis: 0``): left on, it fetches the newer entries from any member it can reach
and would hide many a wrong vote; off, as in Raft, the voting rule alone must keep the data.

Verdicts come from the trace (primaries per term, rollbacks) and from :mod:`caplab.check`
(stale reads with linearizable reads, lost writes); then from the votes the runs recorded: a
rule granting a late request of an older term does no visible harm (the candidate steps down on
the voter's newer term) but spends the voter's vote, and the slow-vote runs show it doing so.
Every failure names its seed and scenario, and ``lab03.replay(seed=N, scenario=...)`` draws the
run and steps through it. A few fixed ballots (:data:`PROBES`) are a last check.
"""

from __future__ import annotations

import functools

from ...check import check_lost_writes, check_stale_reads
from ...kv import Cluster
from ...kv.cp.voting import Ballot, apply_vote_rule
from ...kv.cp.voting import mongodb_vote_rule as _reference_vote_rule
from ...kv.workload import Workload
from ...net.latency import Uniform
from ..exercise import Exercise
from ..replay import register_replay
from ..script_replay import Finding, ScriptedReplay
from ._common import (SEEDS, Incorrect, primaries_by_term, random_partitions, require_function,
                      skeleton_is_not_attempted, source_of)

__all__ = ["q1", "run_election_scenario", "PROBES", "probe_vote_rule", "replay", "damage",
           "wrong_vote"]

_LAST_CHECKED: dict = {}   # "rule": the rule the last check() ran; "scenario": where it failed


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
    # name: cluster options (the fault schedule is drawn by random_partitions, or scripted)
    "simultaneous candidates": {"election_jitter_ms": 0, **NO_CATCH_UP},
    "shifting partitions": {"election_jitter_ms": 1000, **NO_CATCH_UP},
    # scripted: the primary is cut off with one secondary and keeps appending writes it cannot
    # commit, so its oplog grows longer, in an older term, than the new primary's; then it
    # meets a member of the new majority. Only a rule comparing optimes term first refuses it.
    "deposed primary": {"election_jitter_ms": 1000, **NO_CATCH_UP},
    # vote requests crawl (1-2500 ms) while partitions shift, so some arrive after the voter has
    # moved to a newer term: a rule without the term guard is seen granting them
    "slow vote requests": {"election_jitter_ms": 1000, **NO_CATCH_UP},
}

#: the one-way latency of RequestVote messages in the "slow vote requests" scenario
SLOW_VOTES_MS = (1, 2500)


def _deposed_primary(c, nodes: int) -> None:
    """The scripted scenario: cut the primary off with one secondary while its clients keep
    writing (24 writes, never committed), let the majority elect and commit 4 writes, then
    move one member of the new majority to the old primary's side, and heal."""
    from ...kv.probes import wait_for_primary
    p = wait_for_primary(c)
    if p is None:
        return
    rest = [n for n in c.nodes if n != p]
    c.partition([p, rest[0]], rest[1:])
    for i in range(24):   # one operation in flight per client: 24 clients next to the old primary
        c.client(f"old{i + 1}", near=p).put_async("x", f"old-{i + 1}", w="majority",
                                                   timeout_ms=5000)
    q = wait_for_primary(c, exclude=(p, rest[0]), timeout_ms=4000)
    if q is not None:
        new = c.client("new", near=q)
        for i in range(4):
            new.put("x", f"new-{i + 1}", w="majority")
        side = [n for n in rest[1:] if n != q]
        c.partition([p, rest[0], side[0]], [q, *side[1:]])
    c.run_for(3000)
    c.heal()


def run_election_scenario(vote_rule, seed: int, scenario: str = "shifting partitions", *,
                          nodes: int = 5, duration_ms: int = 8000, on_start=None) -> dict:
    """Run one seeded scenario with ``vote_rule`` and return its facts.

    Args:
        on_start: called with the cluster as soon as it is built (the replay's hook).

    Returns:
        a dict: ``cluster``, ``two_primaries`` ({term: [members]} with more than one),
        ``lost_acknowledged`` (rolled-back writes that had been acknowledged with w:majority),
        ``stale`` (:func:`~caplab.check.check_stale_reads` result), ``lost``
        (:func:`~caplab.check.check_lost_writes` result), ``elections`` (count), ``ballots``
        (every ``(ballot, answer)`` the rule was asked, in order), ``ballot_times`` (when each
        was asked, ms).

    Example:
        >>> f = run_election_scenario(q1.reference, 1, "deposed primary")   # doctest: +SKIP
        >>> f["lost_acknowledged"]                                          # doctest: +SKIP
        []
    """
    ballots, times = [], []   # (ballot, the rule's answer), in the order the voters asked
    box = {}

    @functools.wraps(vote_rule)
    def recorded(ballot):
        answer = vote_rule(ballot)
        ballots.append((ballot, answer))
        times.append(box["c"].now)
        return answer

    c = box["c"] = Cluster(mode="cp", nodes=nodes, seed=seed, vote_rule=recorded,
                           **SCENARIOS[scenario])
    if on_start is not None:
        on_start(c)
    if scenario == "deposed primary":
        _deposed_primary(c, nodes)
    else:
        c.run_for(1500)
        if scenario == "slow vote requests":   # after the first election: later ones crawl
            c.world.network.set_latency(Uniform(*SLOW_VOTES_MS), kind="RequestVote")
        random_partitions(c, start_ms=c.now, duration_ms=duration_ms, stream="lab03.partitions")
        w = Workload(c, clients=nodes, keys=3, read_fraction=0.3, mean_think_ms=30,
                     put_options={"w": "majority"},
                     get_options={"read_concern": "linearizable"})
        w.run(duration_ms=duration_ms)
    c.run_for(4000)   # healed: let the set settle and roll back what it must
    acknowledged = {(op.key, op.value) for op in c.history
                    if op.op == "put" and op.outcome == "ok"}
    lost_ack = [r for r in c.rollbacks() if (r["key"], r["value"]) in acknowledged]
    two = {t: m for t, m in primaries_by_term(c).items() if len(m) > 1}
    return {"cluster": c, "two_primaries": two, "lost_acknowledged": lost_ack,
            "stale": check_stale_reads(c.history),
            "lost": check_lost_writes(c.history, final_state=c.backend.export_data()),
            "elections": len(c.backend.elections), "ballots": ballots, "ballot_times": times}


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


def _pointer(seed: int, scenario: str) -> str:
    return f"lab03.replay(seed={seed}, scenario={scenario!r})"


def damage(facts, scenario: str):
    """The first harm a run shows, as a :class:`~caplab.labkit.script_replay.Finding`, or
    None: no primary elected, two primaries in a term, a majority-acknowledged write rolled
    back, a lost write, a stale linearizable read."""
    c = facts["cluster"]
    if facts["elections"] == 0:
        return Finding("no primary", f"[{scenario}] {_nobody_elected(facts['ballots'])}")
    if facts["two_primaries"]:
        term, members = next(iter(sorted(facts["two_primaries"].items())))
        who = ", ".join(members[:-1]) + " and " + members[-1]
        won = [e for e in c.backend.elections if e[3] == term]
        return Finding("two primaries", f"[{scenario}] {len(members)} primaries in term {term}: "
                       f"{who} each won a majority; a voter must grant at most one vote per "
                       f"term", time_ms=won[-1][1] if won else None)
    if facts["lost_acknowledged"]:
        r = facts["lost_acknowledged"][0]
        ops = tuple(op.id for op in c.history if op.op == "put" and op.key == r["key"]
                    and op.value == r["value"])
        return Finding("lost write", f"[{scenario}] the majority-acknowledged write "
                       f"{r['key']}={r['value']!r} was rolled back on {r['node']} at "
                       f"{r['time_ms']} ms: a primary was elected without it (a voter granted a "
                       f"candidate whose oplog was behind its own)", time_ms=r["time_ms"],
                       key=r["key"], bad_ops=ops)
    if not facts["lost"].ok:
        return facts["lost"]
    if not facts["stale"].ok:
        st = facts["stale"].stale[0]
        return Finding("stale read", f"[{scenario}] a linearizable read of {st.key!r} returned "
                       f"{st.value!r}, {st.versions_behind} acknowledged write(s) old: an "
                       f"elected primary lacked majority-committed writes", key=st.key,
                       bad_ops=tuple(getattr(st, "id", ()) and (st.id,)))
    return None


def wrong_vote(facts, scenario: str):
    """The first vote the run shows the rule granting against one of the three guards (a
    :class:`~caplab.labkit.script_replay.Finding`), or None. A wrong vote can do no visible
    harm in a run (a candidate of an older term steps down on the voter's newer term) and still
    spend the voter's one vote of its term."""
    for (b, answer), t in zip(facts["ballots"], facts["ballot_times"]):
        if not _granted(answer) or b.dry_run:
            continue
        why = None
        if b.candidate_term < b.voter_term:
            why = (f"{b.voter}, in term {b.voter_term}, granted its vote to {b.candidate}'s "
                   f"request for the older term {b.candidate_term} (it arrived late): a "
                   f"candidate from an older term must be refused, its election is over, and "
                   f"the grant spends {b.voter}'s one vote of term {b.voter_term}")
        elif b.voted_for not in (None, b.candidate):
            why = (f"{b.voter} had voted for {b.voted_for} in term {b.voter_term} and granted "
                   f"{b.candidate} a second vote: one vote per term")
        elif tuple(b.candidate_last_optime) < tuple(b.voter_last_optime):
            why = (f"{b.voter} (oplog at {tuple(b.voter_last_optime)}) granted {b.candidate}, "
                   f"whose oplog ends at {tuple(b.candidate_last_optime)}, older: it may lack "
                   f"a majority-committed write")
        if why:
            return Finding("wrong vote", f"[{scenario}] at {t} ms {why}", time_ms=t)
    return None


def _grade(vote_rule) -> str:
    require_function(vote_rule, "a function vote_rule(ballot) -> (granted, reason)", 1)
    _LAST_CHECKED["rule"] = vote_rule
    runs = []
    # first the harm any run shows (the clearest evidence), then the wrong votes any run shows
    for seed in SEEDS:
        for scenario in SCENARIOS:
            facts = run_election_scenario(vote_rule, seed, scenario)
            runs.append((seed, scenario, facts))
            found = damage(facts, scenario)
            if found is not None:
                _LAST_CHECKED["scenario"] = scenario
                text = found.reason if isinstance(found, Finding) else \
                    f"[{scenario}] {found.explain()}"
                raise Incorrect(text, seed=seed, replay=_pointer(seed, scenario))
    for seed, scenario, facts in runs:
        found = wrong_vote(facts, scenario)
        if found is not None:
            _LAST_CHECKED["scenario"] = scenario
            raise Incorrect(f"no harm shown, but {found.reason}", seed=seed,
                            replay=_pointer(seed, scenario))
    probe_vote_rule(vote_rule)
    return (f"{len(runs)} runs ({len(SEEDS)} seeds x {len(SCENARIOS)} scenarios) under random "
            f"partitions, a deposed primary and slow vote requests: one primary per term, no "
            f"majority-acknowledged write lost, no stale linearizable read, no vote granted "
            f"against a guard; and the right verdict on {len(PROBES)} fixed ballots.")


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


# -- replay ---------------------------------------------------------------------------------------
def replay(seed: int, vote_rule=None, *, scenario: str | None = None) -> ScriptedReplay:
    """Run a failing scenario again from its seed, draw it and step through it.

    Args:
        seed: the seed an Incorrect outcome named.
        vote_rule: the rule to run; default the one the last ``q1.check()`` ran.
        scenario: one of :data:`SCENARIOS`; default the one the last check failed in.

    Returns:
        a :class:`~caplab.labkit.script_replay.ScriptedReplay`: ``.figures()`` (timeline,
        message sequence and cluster graph around the finding), ``.steps`` (``.step()``,
        ``.back()``, ``.state()``: every member's role, term, vote and last optime),
        ``.explain()``.

    Raises:
        ConfigError: no rule given and none checked yet, or an unknown scenario.

    Example:
        >>> rp = lab03.replay(seed=5, scenario="slow vote requests")   # doctest: +SKIP
        >>> rp.figures()["sequence"]; rp.steps.step(); rp.steps.state()   # doctest: +SKIP
    """
    from ...errors import ConfigError, UnknownNameError
    rule = vote_rule if vote_rule is not None else _LAST_CHECKED.get("rule")
    if rule is None:
        raise ConfigError(f"nothing to replay yet: run lab03.q1.check(vote_rule) first, or give "
                          f"the rule: lab03.replay(seed={seed}, vote_rule=...)")
    scenario = scenario or _LAST_CHECKED.get("scenario", "shifting partitions")
    if scenario not in SCENARIOS:
        raise UnknownNameError("scenario", scenario, list(SCENARIOS))
    facts = run_election_scenario(rule, seed, scenario)
    found = damage(facts, scenario) or wrong_vote(facts, scenario) or \
        Finding("no violation", f"[{scenario}] this run shows no harm and no wrong vote")
    return ScriptedReplay(f"lab 3, {getattr(rule, '__name__', 'vote_rule')}, {scenario}, "
                          f"seed {seed}", seed, facts["cluster"], found,
                          lambda on_start: run_election_scenario(rule, seed, scenario,
                                                                 on_start=on_start))


register_replay(q1.name, lambda seed: replay(seed))
