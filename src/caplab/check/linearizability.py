"""Linearizability checking: is there one order of the operations, consistent with real time,
that a single correct copy of the object (a sequential model) would have produced?

The search is the Wing & Gong algorithm (Wing & Gong 1993, "Testing and verifying concurrent
objects") with Lowe's memoisation (Lowe 2017, "Testing for linearizability"), as implemented in
Porcupine (github.com/anishathalye/porcupine, ``checker.go``): the history becomes a doubly
linked list of call and return entries in time order; the search walks it, *lifts* a call (and
its return) out of the list when the model accepts it as the next operation, and *unlifts* it
when backtracking. A set of ``(linearized ops bitset, model state)`` pairs already explored
prunes the search: two paths that linearized the same operations and reached the same state
have the same future. Histories are split by the model's ``partition`` (per key) first:
linearizability is local (Herlihy & Wing 1990), so each key is checked alone.

Outcomes: ``ok`` operations occupy ``[invoke, complete]``; ``info`` operations may take effect
at any time after their invocation, or never, so their interval is open to +infinity (a return
entry after everything else); what ``fail`` means is the model's business (``encode``).

The search counts steps (one per model step tried or backtrack), never seconds: beyond
``max_steps`` for a key the verdict is ``unknown``, and it reproduces exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..errors import HistoryError
from ..history.models import Model, kv_model
from .records import normalize_history
from ..history.result import CheckResult, one_line
from .search import LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN_VERDICT, search

__all__ = ["LinearizabilityResult", "check_linearizability", "LINEARIZABLE",
           "NOT_LINEARIZABLE", "UNKNOWN_VERDICT", "DEFAULT_MAX_STEPS"]

DEFAULT_MAX_STEPS = 2_000_000

_INF = float("inf")


@dataclass(frozen=True, kw_only=True)
class LinearizabilityResult(CheckResult):
    """The verdict of :func:`check_linearizability` (a :class:`~caplab.history.result.CheckResult`
    whose ``valid`` is None for ``unknown``), with the evidence for a violation.

    ``offending`` (also ``bad_ops``): op ids that cannot be placed after ``prefix``: the
    operations pending when the search got stuck, including the one that had to take effect
    before it returned; ``reasons[i]`` says why ``offending[i]`` cannot go next.

    ``details`` (each also a property):
        model: the model's name.
        key: the first key (in sorted order) that is not linearizable (or ``unknown``).
        prefix: op ids of the longest partial linearization found for that key, in order.
        steps: search steps used, over all keys checked.
        per_key: verdict per key checked (``None`` is the key of an unpartitioned model).
        order: for a linearizable key-less history, one valid order of op ids (else empty).
        state: the model state after ``prefix`` (as ``describe_state`` renders it).
        points: a linearization point (ms) for each op of ``prefix`` (or of ``order``): the
            earliest instant, in that order, inside each op's interval (Porcupine's
            visualiser draws the same).
        states: the model state after each op of ``prefix`` (or ``order``), described.
        initial_state: the model's state before any operation, described.
    """

    VERDICTS: ClassVar[dict] = {True: LINEARIZABLE, False: NOT_LINEARIZABLE,
                                None: UNKNOWN_VERDICT}

    @classmethod
    def from_search(cls, verdict: str, model: str, *, key=None, prefix: tuple = (),
                    bad_ops: tuple = (), steps: int = 0, per_key=None, order: tuple = (),
                    reasons: tuple = (), state: str = "", points: tuple = (),
                    states: tuple = (), initial_state: str = "") -> "LinearizabilityResult":
        """The result of a search that ended in ``verdict`` (one of the three verdicts)."""
        valid = {v: k for k, v in cls.VERDICTS.items()}[verdict]
        details = {"model": model, "key": key, "prefix": tuple(prefix), "steps": steps,
                   "per_key": dict(per_key or {}), "order": tuple(order), "state": state,
                   "points": tuple(points), "states": tuple(states),
                   "initial_state": initial_state}
        return cls(checker="linearizability", valid=valid, offending=tuple(bad_ops),
                   reasons=tuple(reasons), details=details)

    model = property(lambda self: self.details["model"])
    key = property(lambda self: self.details["key"])
    prefix = property(lambda self: self.details["prefix"])
    steps = property(lambda self: self.details["steps"])
    per_key = property(lambda self: self.details["per_key"])
    order = property(lambda self: self.details["order"])
    state = property(lambda self: self.details["state"])
    points = property(lambda self: self.details.get("points", ()))
    states = property(lambda self: self.details.get("states", ()))

    def explain(self, *, steps: bool = True) -> str:
        """A few lines a student can read: the verdict and, for a violation, why (``steps``:
        whether to say how many search steps it took)."""
        if self.verdict == LINEARIZABLE:
            counted = f" ({self.steps} search steps)" if steps else ""
            return (f"linearizable: every key has an order of its operations that respects "
                    f"real time and the {self.model} model{counted}.")
        where = "" if self.key is None else f" on key {self.key!r}"
        if self.verdict == UNKNOWN_VERDICT:
            return (f"unknown{where}: the search stopped after {self.steps} steps without an "
                    f"answer; raise max_steps to search further.")
        lines = [f"not linearizable{where}: after the longest valid prefix of "
                 f"{len(self.prefix)} operation(s) (ids {list(self.prefix)}), the state is "
                 f"{self.state}, and none of the operations pending at that point can take "
                 f"effect next:"]
        lines += [f"  - {reason}" for reason in self.reasons]
        lines.append("Every other order that respects real time fails too (the search "
                     "explored them all).")
        return "\n".join(lines)

    def brief(self) -> str:
        """One line: the verdict's first line, then the operations that cannot be placed; the
        search-step count is left to ``details["steps"]``."""
        return one_line(self.explain(steps=False))


def _sort_keys(keys):
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=lambda k: (type(k).__name__, repr(k)))


def _partition(records, model):
    if model.partition is None:
        return {None: records}
    groups: dict = {}
    for rec in records:
        groups.setdefault(model.partition(rec), []).append(rec)
    return groups


def check_linearizability(history, model: Model | None = None, *,
                          max_steps: int = DEFAULT_MAX_STEPS) -> LinearizabilityResult:
    """Check that a history is linearizable with respect to a sequential model.

    Args:
        history: a :class:`~caplab.history.History`, a list of record dicts, or a DataFrame.
        model: the sequential specification; default :func:`~caplab.history.models.kv_model`
            (a key-value map, checked key by key).
        max_steps: search budget per key (model steps tried plus backtracks). Past it the
            verdict for that key is ``unknown``.

    Returns:
        A :class:`LinearizabilityResult`; ``.ok`` is True only for ``"linearizable"``. Keys are
        checked in sorted order; the first key found not linearizable stops the search.

    Raises:
        HistoryError: the history is malformed, or has an op the model does not know.

    Example:
        >>> h = [dict(client="a", op="put", key="x", value=1, invoke_ms=0, complete_ms=10,
        ...           outcome="ok"),
        ...      dict(client="b", op="get", key="x", value=None, invoke_ms=20, complete_ms=30,
        ...           outcome="ok")]
        >>> check_linearizability(h).verdict
        'not linearizable'
    """
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise HistoryError(f"max_steps must be a positive whole number, got {max_steps!r}")
    model = model if model is not None else kv_model()
    records = normalize_history(history, ops=model.ops)
    groups = _partition(records, model)
    jobs = []  # (key, ops, inps, outs, invokes, returns, search generator)
    for key in _sort_keys(groups):
        ops, inps, outs, invokes, returns = [], [], [], [], []
        for rec in groups[key]:
            try:
                pair = model.encode(rec)
            except ValueError as exc:
                raise HistoryError(f"row {rec['row']} (id={rec['id']!r}): {exc}") from None
            if pair is None:
                continue
            ops.append(rec)
            inps.append(pair[0])
            outs.append(pair[1])
            invokes.append(rec["invoke_ms"])
            returns.append(_INF if rec["outcome"] == "info" else rec["complete_ms"])
        readonly = [bool(model.read_only(a, b)) if model.read_only else False
                    for a, b in zip(inps, outs)]
        walk = search(inps, outs, invokes, returns, model.step, model.init(), max_steps,
                      readonly)
        jobs.append((key, ops, inps, outs, invokes, returns, walk))
    # Round-robin over the keys, a chunk of steps at a time, until one key is not linearizable
    # or all are done: a violation on an easy key is found without first exhausting a hard
    # key's budget, and the outcome does not depend on timing.
    done: dict = {}
    progress = [0] * len(jobs)  # steps used so far by each key still searching
    running = list(range(len(jobs)))
    while running:
        still = []
        for j in running:
            try:
                progress[j] = next(jobs[j][6])
                still.append(j)
            except StopIteration as stop:
                done[j] = stop.value
                if stop.value[0] == NOT_LINEARIZABLE:
                    return _result(jobs, done, j, model, progress)
        running = still
    unknown = [j for j in range(len(jobs)) if done[j][0] == UNKNOWN_VERDICT]
    if unknown:
        return _result(jobs, done, unknown[0], model, progress)
    total_steps = sum(v[4] for v in done.values())
    per_key = {jobs[j][0]: done[j][0] for j in range(len(jobs))}
    order, walk = (), {}
    if len(jobs) == 1:
        order = tuple(jobs[0][1][i]["id"] for i in done[0][1])
        walk = _walk(jobs[0], done[0][1], model)
    return LinearizabilityResult.from_search(LINEARIZABLE, model.name, steps=total_steps,
                                             per_key=per_key, order=order, **walk)


def _result(jobs, done, j, model, progress):
    """The result naming key ``j`` (not linearizable or unknown), with its evidence."""
    key, ops, inps, outs, invokes, returns, _ = jobs[j]
    verdict, seq, state, stuck, _steps = done[j]
    total_steps = sum(done[i][4] if i in done else progress[i] for i in range(len(jobs)))
    for i in range(len(jobs)):
        if i not in done:
            jobs[i][6].close()
    per_key = {jobs[i][0]: done[i][0] for i in sorted(done)}
    prefix = tuple(ops[i]["id"] for i in seq)
    bad, reasons = _stuck_window(ops, inps, outs, invokes, returns, seq, state, stuck, model)
    return LinearizabilityResult.from_search(
        verdict, model.name, key=key, prefix=prefix, bad_ops=bad, steps=total_steps,
        per_key=per_key, reasons=reasons, state=model.describe_state(state),
        **_walk(jobs[j], seq, model))


def _walk(job, seq, model) -> dict:
    """Replay the order ``seq`` (op indices of one key): a linearization point per op and the
    model's state after it, described. Linear in ``len(seq)``: one model step per op.

    The points are greedy: each op takes effect at its invocation or at the previous op's
    point, whichever is later; an order the search accepted always fits (each op is lifted
    before any pending op's return), so every point lies inside its op's interval."""
    _key, _ops, inps, outs, invokes, _returns, _ = job
    state = model.init()
    initial = model.describe_state(state)
    points, states, at = [], [], float("-inf")
    for i in seq:
        at = max(at, invokes[i])
        _ok, state = model.step(state, inps[i], outs[i])
        points.append(at)
        states.append(model.describe_state(state))
    return {"points": tuple(points), "states": tuple(states), "initial_state": initial}


def _stuck_window(ops, inps, outs, invokes, returns, seq, state, stuck, model):
    """The operations pending where the deepest partial linearization got stuck, and why.

    After ``seq`` is linearized, ``stuck`` is the first remaining operation to return; it had
    to take effect before its return, and every remaining op invoked before that instant was a
    candidate to go next. Each candidate is described with what the model says about it.
    """
    done = set(seq)
    deadline = returns[stuck] if stuck is not None else _INF
    window = [i for i in range(len(ops)) if i not in done and invokes[i] <= deadline]
    window.sort(key=lambda i: (invokes[i], i))
    reasons = []
    for i in window:
        ok, after = model.step(state, inps[i], outs[i])
        rec = ops[i]
        what = (f"op {rec['id']!r} {model.describe_operation(inps[i], outs[i])} by client "
                f"{rec['client']!r} [{rec['invoke_ms']}, "
                f"{'open' if returns[i] == _INF else rec['complete_ms']}]")
        if ok:
            why = (f"the model accepts it (state becomes {model.describe_state(after)}), but "
                   f"every continuation from there fails")
        else:
            why = f"the model rejects it in state {model.describe_state(state)}"
        if i == stuck:
            why += "; it must take effect before it returned"
        reasons.append(f"{what}: {why}")
    return tuple(ops[i]["id"] for i in window), tuple(reasons)
