"""Helpers shared by the lab graders: placeholders, seeds, fault schedules, trace facts."""

from __future__ import annotations

import inspect
import re
import textwrap

from ...kv.probes import primaries_by_term   # re-exported: the graders' trace facts
from ..exercise import Incorrect, NotAttempted

__all__ = ["SEEDS", "skeleton_is_not_attempted", "require_attempt", "random_partitions",
           "primaries_by_term", "source_of", "Incorrect", "NotAttempted"]

#: the seeds every grader tries, in order (the first failing one is reported for replay)
SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)


def skeleton_is_not_attempted(grader):
    """Wrap a grader: a skeleton function that still raises NotImplementedError (wherever the
    simulator calls it) counts as *Not attempted*, not as a wrong answer."""
    import functools

    @functools.wraps(grader)
    def wrapped(answer):
        try:
            return grader(answer)
        except NotImplementedError:
            raise NotAttempted("your function still raises NotImplementedError: write its body, "
                               "then run check() again") from None
    return wrapped


def require_attempt(answer, what: str) -> None:
    """Raise NotAttempted while ``answer`` (or a value in it) is the placeholder ``...``/None."""
    if answer is None or answer is Ellipsis:
        raise NotAttempted(f"replace the placeholder ... with {what}")
    if isinstance(answer, dict) and any(v is Ellipsis or v is None for v in answer.values()):
        missing = [k for k, v in answer.items() if v is Ellipsis or v is None]
        raise NotAttempted(f"fill in {', '.join(map(str, missing))} (still ...)")


def require_function(answer, what: str, params: int) -> None:
    """Raise NotAttempted for the placeholder, Incorrect for something not callable."""
    require_attempt(answer, what)
    if not callable(answer):
        raise Incorrect(f"expected a function ({what}), got {answer!r}")
    try:
        inspect.signature(answer).bind(*range(params))
    except TypeError:
        raise Incorrect(f"{getattr(answer, '__name__', 'your function')} must take {params} "
                        f"argument(s): {what}") from None
    except ValueError:
        pass   # builtins without a signature: let the run decide


def random_partitions(cluster, *, start_ms: int, duration_ms: int, stream: str,
                      gap_ms=(300, 1500), max_minority: int | None = None, heal: bool = True):
    """Start a nemesis that re-partitions the nodes at random every ``gap_ms`` (no heal in
    between, so a member that was cut off and fell behind can land in the majority), healing
    at the end. Drawn from the cluster's ``stream`` (same seed, same schedule)."""
    rng = cluster.sim.rng(stream)
    names = cluster.nodes
    largest_minority = max_minority or len(names) // 2
    t, end, schedule = start_ms, start_ms + duration_ms, []
    while True:
        t += rng.randint(*gap_ms)
        if t >= end:
            break
        shuffled = sorted(names)
        rng.shuffle(shuffled)
        k = rng.randint(1, largest_minority)
        schedule.append((t, "partition", sorted(shuffled[:k]), sorted(shuffled[k:])))
    if heal:
        schedule.append((end, "heal"))
    return cluster.nemesis(schedule)


def source_of(*objects, name: str | None = None) -> str:
    """The source text of reference functions, for ``solution()``.

    ``name`` renames the (single) function to the name the lab notebook checks, e.g.
    ``vote_rule`` for ``mongodb_vote_rule``, so the pasted solution replaces the student's
    function and the notebook's ``check(vote_rule)`` cell then grades it. Every whole-word
    mention of the old name (its docstring's example too) is renamed.
    """
    if name is not None and len(objects) != 1:
        raise ValueError("source_of(name=...) renames exactly one function")
    texts = [textwrap.dedent(inspect.getsource(o)).strip() for o in objects]
    if name is not None:
        old = objects[0].__name__
        prefix = f"def {old}("
        if not texts[0].startswith(prefix):
            raise ValueError(f"{old} does not start with {prefix!r}")
        texts[0] = re.sub(rf"\b{re.escape(old)}\b", name, texts[0])
    return "\n\n".join(texts)


class LastFailure:
    """What a lab's ``replay()`` redraws: the run its last failing ``check()`` made.

    A grader raises ``last.incorrect(reason, seed, run, answer, ...)``: the message ends with
    the call that replays it (``replay: lab01.replay(seed=3)``), and the run is remembered so
    that ``lab01.replay(seed=3)`` runs it again and returns a
    :class:`~caplab.labkit.script_replay.ScriptedReplay` (figures and a step-through).

    Args:
        lab: the module's short name, as the student imports it (``"lab01"``).
    """

    def __init__(self, lab: str) -> None:
        self.lab = lab
        self.last = None

    def reset(self) -> None:
        """Forget the remembered run (a grader calls it first, so that a failure without a
        run, e.g. an invalid answer, never replays an older answer's run)."""
        self.last = None

    def incorrect(self, reason: str, seed: int, run, answer, *args, finding=None,
                  question: str = "", **kwargs) -> Incorrect:
        """The :class:`Incorrect` to raise, with the replay call; remembers the run.

        Args:
            run: ``run(answer, seed, *args, on_start=..., **kwargs) -> facts`` (with
                ``facts["cluster"]``).
            finding: ``finding(facts) -> Finding``: what the replay highlights.
        """
        self.last = (run, answer, args, kwargs, finding, question)
        return Incorrect(reason, seed=seed, replay=f"{self.lab}.replay(seed={seed})")

    def replay(self, seed: int, answer=None):
        """Run the remembered failing run again with ``seed`` (and ``answer``, default the one
        checked) and return its :class:`~caplab.labkit.script_replay.ScriptedReplay`.

        Raises:
            ConfigError: no check has failed in a simulated run yet.
        """
        from ...errors import ConfigError
        from ..script_replay import Finding, ScriptedReplay
        if self.last is None:
            raise ConfigError(f"nothing to replay yet: a {self.lab} check() must fail in a "
                              f"simulated run first (its message then ends with "
                              f"'replay: {self.lab}.replay(seed=N)')")
        run, checked, args, kwargs, finding, question = self.last
        answer = checked if answer is None else answer
        facts = run(answer, seed, *args, **kwargs)
        found = finding(facts) if finding is not None else None
        if found is None:
            found = Finding("no violation", f"seed {seed} shows no failure with this answer")
        name = getattr(answer, "__name__", None) or repr(answer)
        return ScriptedReplay(f"{self.lab} {question} {name}, seed {seed}".replace("  ", " "),
                              seed, facts["cluster"], found,
                              lambda on_start: run(answer, seed, *args, on_start=on_start,
                                                   **kwargs))
