"""Lab 8: the in-doubt participant. A two-phase commit participant that voted yes and then lost
touch (its coordinator crashed, or it restarted itself) must decide what to do with the
transaction it prepared, from its own log record and the answers it gets.

The student writes ``in_doubt_rule(record, coordinator, peers)`` returning ``"commit"``,
``"abort"`` or ``"wait"``:

* ``record``: the participant's log record of the transaction: ``"prepared"`` (it voted yes),
  ``"none"`` (it never voted yes: no prepare record), ``"committed"`` or ``"aborted"``;
* ``coordinator``: the coordinator's answer to "what was the outcome?": ``"commit"``,
  ``"abort"`` (presumed abort: no decision in its log means abort) or ``None`` (no answer: down,
  cut off, or still collecting votes);
* ``peers``: ``{peer: answer}`` from the other participants (cooperative termination):
  ``"committed"``, ``"aborted"``, ``"uncertain"`` (prepared too, waiting) or ``None`` (no answer).

The grader (a) runs the rule inside :class:`caplab.txn.TwoPhaseCommit`'s participants for
several seeds, with the coordinator crashed at every phase (and restarted late), a participant
crashed and restarted, and a participant cut off, and checks: nothing committed that was
aborted, nothing aborted that the coordinator had committed (its logged decision is the commit
point), no participant left blocked while a peer or the coordinator knows the outcome; then (b)
asks the rule every situation a participant can be in and compares it with the one right
answer. Bernstein, Hadzilacos & Goodman, *Concurrency Control and Recovery in Database
Systems* (1987), ch. 7: a participant that voted yes is *uncertain* and may not decide alone;
the cooperative termination protocol asks the other participants, and blocks only when all of
them are uncertain too.

Example::

    from caplab.labkit.labs import lab08
    lab08.q1.check(in_doubt_rule)
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Any

from ...errors import ConfigError
from ...txn import PHASES, TwoPhaseCommit, check_atomicity
from ...txn.twopc import Participant, PeerQuery, QueryOutcome
from ..exercise import Incorrect, NotAttempted
from ._common import require_function, source_of
from .lab05 import TieredExercise

__all__ = ["q1", "reference_in_doubt_rule", "run", "RuleRun", "situations", "SEEDS",
           "VERDICTS"]

#: the seeds every answer is run with (the first failing one is reported)
SEEDS = (1, 2, 3, 4, 5)
#: what a rule may return
VERDICTS = ("commit", "abort", "wait")
_INQUIRY_MS = 150         # an in-doubt participant asks this often
_COLLECT_MS = 50          # ... and applies the rule this long after asking
_GRACE_MS = 2 * _INQUIRY_MS + _COLLECT_MS + 30      # long enough to have asked and heard


def reference_in_doubt_rule(record, coordinator, peers):
    """The termination rule of a 2PC participant (presumed abort, cooperative termination)."""
    if record == "committed":
        return "commit"                 # already decided: say it again
    if record in ("aborted", "none"):
        return "abort"                  # never voted yes: it may (and does) abort alone
    # prepared: uncertain, so it may not decide alone; anyone who knows the outcome decides
    answers = [coordinator] + list(peers.values())
    if "commit" in answers or "committed" in answers:
        return "commit"
    if "abort" in answers or "aborted" in answers:
        return "abort"
    return "wait"                       # everyone reachable is uncertain: block, locks held


class RuleParticipant(Participant):
    """A participant whose in-doubt decisions are taken by ``rule`` (the student's).

    In doubt, it asks the coordinator and its peers, collects their answers for
    ``_COLLECT_MS``, then applies the rule: commit, abort, or wait and ask again later.
    """

    rule = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.answers: dict = {}          # volatile: txid -> answers gathered so far
        self.verdicts: list = []         # (time_ms, txid, coordinator, peers, verdict)

    def on_decision_timeout(self, txid: str) -> None:
        if txid not in self.store.prepared:
            return
        coordinator, peers = self.txinfo[txid]
        self.answers[txid] = {"coordinator": None, "peers": {p: None for p in peers}}
        self.trace("txn", f"{txid} in doubt: asking {coordinator} and {', '.join(peers)}")
        self.send(coordinator, QueryOutcome(txid))
        for peer in peers:
            self.send(peer, PeerQuery(txid))
        self._inquiry[txid] = self.set_timer(_COLLECT_MS, self._apply_rule, txid, daemon=True)

    def handle_outcome(self, msg, src: str) -> None:
        gathered = self.answers.get(msg.txid)
        if gathered is not None:
            gathered["coordinator"] = "commit" if msg.commit else "abort"

    def handle_peer_state(self, msg, src: str) -> None:
        gathered = self.answers.get(msg.txid)
        if gathered is not None and src in gathered["peers"]:
            gathered["peers"][src] = msg.state

    def _apply_rule(self, txid: str) -> None:
        if txid not in self.store.prepared:
            return
        gathered = self.answers.pop(txid)
        verdict = type(self).rule("prepared", gathered["coordinator"], dict(gathered["peers"]))
        self.verdicts.append((self.now, txid, gathered["coordinator"], gathered["peers"],
                              verdict))
        if verdict not in VERDICTS:
            raise ValueError(f"in_doubt_rule must return one of {VERDICTS}, got {verdict!r}")
        if verdict == "wait":
            self._inquiry[txid] = self.set_timer(_INQUIRY_MS, self.on_decision_timeout, txid,
                                                 daemon=True)
        else:
            self._finish(txid, verdict == "commit", "the in-doubt rule")

    def on_crash(self) -> None:
        self.answers = {}
        super().on_crash()


@dataclass
class RuleRun:
    """One graded run: the system, the faults, and the findings (empty: all well)."""

    seed: int
    system: Any = field(repr=False)
    faults: list
    findings: list
    windows: dict = field(default_factory=dict)   # txid -> (start_ms, end_ms) of its run

    @property
    def ok(self) -> bool:
        return not self.findings

    def explain(self) -> str:
        """The fault of each transaction, then every finding (or that there was none)."""
        lines = [f"lab 8 run, seed {self.seed}:"]
        for n, (kind, what) in enumerate(self.faults, start=1):
            start, end = self.windows.get(f"t{n}", (None, None))
            when = f" ({start}-{end} ms)" if start is not None else ""
            lines.append(f"  t{n}{when}: {kind} {what}")
        lines += [f"  - {f}" for f in self.findings] or ["  no finding: safe and live"]
        return "\n".join(lines)

    def figures(self, txid: str | None = None) -> dict:
        """``{"sequence": ..., "locks": ...}``: the messages of transaction ``txid`` (default:
        the first one a finding names, else ``t1``) with its failure points, and the locks."""
        from ...txn.report import lock_timeline_data, protocol_marks
        from ...viz.txn import lock_timeline, txn_sequence
        named = [t for t in self.windows if any(f.startswith(f"{t} ") or f.startswith(f"{t}:")
                                                for f in self.findings)]
        txid = txid or (named[0] if named else "t1")
        if txid not in self.windows:
            raise ConfigError(f"txid must be one of {sorted(self.windows)}, got {txid!r}")
        lo, hi = self.windows[txid]
        trace = self.system.sim.trace
        return {"sequence": txn_sequence(trace, protocol_marks(trace, since_ms=lo, until_ms=hi),
                                         since_ms=lo, until_ms=hi),
                "locks": lock_timeline(lock_timeline_data(self.system))}


def _blocked_findings(tpc, txid: str, now: int) -> list:
    """Prepared participants that could have learned the outcome from an up, reachable peer
    that decided at least ``_GRACE_MS`` ago."""
    out = []
    decided = {}
    for name, svc in tpc.services.items():
        for time_ms, _, kind, t, _ in svc.store.log:
            if t == txid and kind in ("commit_prepared", "rollback_prepared", "abort",
                                      "rollback"):
                decided.setdefault(name, (time_ms, svc.store.outcomes.get(txid)))
    net = tpc.world.network
    for name, svc in tpc.services.items():
        if not svc.up or txid not in svc.store.prepared:
            continue
        for peer, (time_ms, outcome) in sorted(decided.items()):
            if outcome and tpc.service(peer).up and now - time_ms >= _GRACE_MS \
                    and net.reachable(name, peer) and net.reachable(peer, name):
                out.append(f"{txid}: {name} still prepared (blocked, holding its locks) at "
                           f"{now} ms although its peer {peer} had {outcome} it at {time_ms} "
                           f"ms and answers when asked: ask the peers, and follow one that "
                           f"knows")
                break
    return out


def _fault_plan(rng) -> list:
    plan = [("coordinator", phase) for phase in PHASES]
    plan += [("crash participant", rng.choice(["order", "payment", "inventory"])),
             ("isolate participant", rng.choice(["order", "payment", "inventory"]))]
    rng.shuffle(plan)
    return plan


def _one(tpc, rng, n: int, fault) -> list:
    """Run transaction ``t<n>`` under ``fault``; return the findings about blocking."""
    txid, (kind, what) = f"t{n}", fault
    findings = []
    if kind == "coordinator":
        tpc.crash_at(what, txid)
    tpc.transaction_async(tpc.place_order(f"o{n}"), txid=txid)
    if kind == "coordinator":
        down_ms = rng.randint(2 * _GRACE_MS, 3 * _GRACE_MS)
        tpc.run_for(down_ms)
        findings += _blocked_findings(tpc, txid, tpc.now)
        if not tpc.coordinator.up:
            tpc.restart(tpc.coordinator.name)
    else:
        tpc.run_for(rng.randint(2, 9))
        if kind == "crash participant":
            tpc.crash(what)
            tpc.run_for(rng.randint(100, 400))
            tpc.restart(what)
        else:
            tpc.isolate(what)
            tpc.run_for(rng.randint(200, 600))
            tpc.heal()
    tpc.run_for(4 * _GRACE_MS)
    return findings + _blocked_findings(tpc, txid, tpc.now)


def _final_findings(tpc) -> list:
    out = []
    decided = tpc.coordinator.decisions
    for txid, row in tpc.participant_states().items():
        committed = sorted(s for s, st in row.items() if st == "committed")
        if txid not in decided and committed:
            out.append(f"{txid} committed at {', '.join(committed)} although the coordinator "
                       f"never logged a commit decision (so it was aborted: presumed abort): "
                       f"a participant may commit only when someone knows it was committed")
        aborted = sorted(s for s, st in row.items() if st == "aborted")
        if txid in decided and aborted:
            out.append(f"{txid} aborted at {', '.join(aborted)} although the coordinator had "
                       f"logged its commit decision (the commit point): a participant that "
                       f"voted yes may not presume abort")
        prepared = sorted(s for s, st in row.items() if st == "prepared")
        if prepared:
            outcome = "commit" if txid in decided else "abort (presumed: no decision logged)"
            out.append(f"{txid} still prepared at {', '.join(prepared)} at the end, every node "
                       f"up and the network whole, although the coordinator answers "
                       f"{outcome}")
    return out + list(check_atomicity(tpc).reasons)


def run(rule, seed: int = 1) -> RuleRun:
    """Run ``rule`` inside the participants of a three-service 2PC, as the grader does.

    Args:
        rule: ``in_doubt_rule(record, coordinator, peers)``.
        seed: the seed (same seed, same faults, same run).

    Returns:
        a :class:`RuleRun` (``.ok``, ``.findings``, ``.faults``, ``.system``; ``.explain()``
        and ``.figures(txid)`` draw it).

    Example:
        >>> run(reference_in_doubt_rule, seed=1).ok
        True
    """
    rng = random.Random(f"lab08-{seed}")
    cls = type("StudentParticipant", (RuleParticipant,), {"rule": staticmethod(rule)})
    tpc = TwoPhaseCommit(participants=3, seed=seed, inquiry_ms=_INQUIRY_MS,
                         vote_timeout_ms=200, retry_ms=200, participant=cls)
    faults = _fault_plan(rng)
    findings, windows = [], {}
    for n, fault in enumerate(faults, start=1):
        start = tpc.now
        findings += _one(tpc, rng, n, fault)
        windows[f"t{n}"] = (start, tpc.now)
    findings += _final_findings(tpc)
    return RuleRun(seed, tpc, faults, list(dict.fromkeys(findings)), windows)


def situations() -> list[tuple]:
    """Every situation a participant can be in: ``(record, coordinator, peers, right answer)``
    (two peers; impossible ones, such as a coordinator that committed without this
    participant's yes vote, are left out)."""
    out = []
    peer_answers = {"commit": ("committed", "uncertain", None),
                    "abort": ("aborted", "uncertain", None)}
    for truth in ("commit", "abort"):
        for coordinator in (truth, None):
            for a, b in itertools.product(peer_answers[truth], repeat=2):
                peers = {"payment": a, "inventory": b}
                knows = coordinator is not None or any(p not in ("uncertain", None)
                                                       for p in (a, b))
                out.append(("prepared", coordinator, peers, truth if knows else "wait"))
        record = "committed" if truth == "commit" else "aborted"
        out.append((record, None, {"payment": "uncertain", "inventory": None}, truth))
    for coordinator in ("abort", None):
        out.append(("none", coordinator, {"payment": "uncertain", "inventory": None}, "abort"))
    return out


_WHY = {("prepared", "wait"): "someone who knows the outcome answered: follow it (waiting "
                              "blocks the rows for nothing)",
        ("prepared", "commit"): "it must not decide alone",
        ("prepared", "abort"): "it must not decide alone",
        ("none", "abort"): "it never voted yes, so the coordinator cannot have committed: it "
                           "may abort alone (and should, to free its locks)",
        ("committed", "commit"): "its own log says committed: say it again",
        ("aborted", "abort"): "its own log says aborted: say it again"}


def _probe(rule) -> None:
    for record, coordinator, peers, right in situations():
        got = rule(record, coordinator, dict(peers))
        if got == right:
            continue
        if right == "wait":
            why = ("every answer is uncertain or missing: it must wait (block, locks held); "
                   f"deciding {got!r} alone may contradict the coordinator's logged decision")
        else:
            why = _WHY.get((record, right), "")
        raise Incorrect(f"in_doubt_rule({record!r}, {coordinator!r}, {peers!r}) returned "
                        f"{got!r}; the right answer is {right!r}: {why}")


def _grade(answer) -> str:
    require_function(answer, "in_doubt_rule(record, coordinator, peers)", 3)
    blocked = 0
    for seed in SEEDS:
        try:
            r = run(answer, seed)
        except NotImplementedError:
            raise NotAttempted("your rule still raises NotImplementedError: write its body, "
                               "then run check() again") from None
        except Exception as exc:      # noqa: BLE001 - the student's code raised: say where
            raise Incorrect(f"with seed {seed}, in_doubt_rule raised {type(exc).__name__}: "
                            f"{exc}", seed=seed) from exc
        if r.findings:
            # named once, as the replay call (not also the generic "replay with seed=N")
            raise Incorrect(f"with seed {seed}: {r.findings[0]}", seed=seed,
                            replay=f"lab08.run(in_doubt_rule, seed={seed}).findings")
        blocked += sum(1 for svc in r.system.services.values() for v in svc.verdicts
                       if v[4] == "wait")
    _probe(answer)
    return (f"safe and live in {len(SEEDS)} runs with the coordinator crashing at every phase "
            f"({blocked} times the rule rightly waited), and right in all "
            f"{len(situations())} situations")


q1 = TieredExercise(
    "Lab 8, question 1: the in-doubt participant",
    answer_name="in_doubt_rule",
    grader=_grade,
    hints=("Start from the record: which records let the participant decide on its own? For "
           "\"prepared\", who could know the outcome, and what if nobody who answered does?",
           "A participant that voted yes is uncertain: the coordinator may have logged commit "
           "(then it must commit) or not (presumed abort). It may not guess. Anyone who "
           "knows (the coordinator, or a peer that committed or aborted) settles it; if all "
           "answers are uncertain or missing, it must wait, holding its locks.",
           "committed -> 'commit'; aborted or none -> 'abort'; prepared: if the coordinator "
           "says 'commit' or a peer 'committed' -> 'commit'; if the coordinator says 'abort' "
           "or a peer 'aborted' -> 'abort'; otherwise 'wait'."),
    solution=source_of(reference_in_doubt_rule, name="in_doubt_rule"),
    reference=reference_in_doubt_rule,
)
