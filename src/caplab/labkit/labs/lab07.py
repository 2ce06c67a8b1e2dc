"""Lab 7: fix the seed manager. The saga manager of the source material, as written, carries on
with the later steps after one fails and compensates the completed steps in forward order; the
student writes the two decisions a correct manager makes.

The student subclasses :class:`SagaManager` (the orchestrator of :mod:`caplab.txn.saga` with
its durable saga log, idempotency keys, timeouts, retries and crash recovery, but with the two
decisions left out) and writes ``step_failed`` (what to do when a step fails for good) and
``begin_compensation`` (which completed steps to undo, in what order). The grader runs, for
several seeds, a stream of shop order sagas (create order, charge, reserve stock, schedule
shipping) with a random step refused, the orchestrator crashed after a random saga-log
event and restarted, and, in one saga per run, a service's answers lost (its step runs, the
manager only sees a timeout: ``maybe=True``), and checks each run with
:func:`caplab.txn.check_atomicity` (all steps done, or every completed step compensated in reverse order; no step after a failure) and
:func:`caplab.txn.check_invariants` (no shipment for a cancelled or unstocked order, stock and
money conserved). Garcia-Molina & Salem (1987): a saga runs T1..Tn or T1..Tj, Cj..C1.

Example::

    from caplab.labkit.labs import lab07
    lab07.q1.check(MyManager)
    lab07.replay(seed=3).figures()["sequence"]     # draw a failing run
"""

from __future__ import annotations

import inspect
import random
import textwrap
from dataclasses import dataclass, field
from typing import Any

from ...errors import ConfigError
from ...txn import Sagas, check_atomicity, check_invariants
from ...txn.saga import Orchestrator, SagaRecord
from ...txn.seed import SeedOrchestrator
from ..exercise import Incorrect, NotAttempted
from .lab05 import TieredExercise

__all__ = ["q1", "SagaManager", "ReferenceManager", "SeedOrchestrator", "seed_source", "run",
           "replay", "SagaRun", "SEEDS", "SAGAS"]

#: the seeds every answer is run with (the first failing one is reported)
SEEDS = (1, 2, 3, 4, 5, 6)
#: sagas per run
SAGAS = 6
#: the steps that may be refused (the order step fails too rarely to teach anything)
_FAILING = (("payment", "charge"), ("inventory", "reserve"), ("shipping", "schedule"))
#: saga-log events after which the orchestrator may crash
_CRASH_AFTER = ("start", "step_done", "step_failed", "compensating", "compensated")
_LAST_CHECKED: list = []      # the class the last check() ran (what replay() redraws)


class SagaManager(Orchestrator):
    """The saga manager you complete: everything but its two decisions.

    What you can use (``rec`` is the saga's durable log, a :class:`~caplab.txn.saga.SagaRecord`):
    ``rec.steps`` (the steps), ``rec.done`` (indices of the completed steps, in the order they
    completed), ``rec.failed`` (``(index, reason)`` pairs), ``rec.state`` (``"running"``,
    ``"compensating"`` ...), ``rec.index`` (the step being run), ``rec.to_compensate`` (the
    indices still to undo, first one next); ``self.log(rec, kind, index, detail)`` writes the
    saga log (``"step_failed"``, ``"compensating"``); ``self.run_step(rec)`` runs step
    ``rec.index``; ``self.compensate_next(rec)`` undoes ``rec.to_compensate`` one by one and
    then finishes the saga; ``self.finish(rec)`` ends it.
    """

    kind = "lab07"

    def step_failed(self, rec: SagaRecord, index: int, reason: str, *, maybe=False) -> None:
        """Step ``index`` failed for good (``maybe``: no answer came, so it may have run)."""
        raise NotImplementedError

    def begin_compensation(self, rec: SagaRecord) -> None:
        """Start undoing the completed steps."""
        raise NotImplementedError


class ReferenceManager(SagaManager):
    """The fix: stop at the first failure, then compensate the completed steps in reverse."""

    def step_failed(self, rec, index, reason, *, maybe=False):
        rec.failed.append((index, reason))
        self.log(rec, "step_failed", index, reason)
        if maybe:
            rec.done.append(index)       # it may have run: its compensation is a no-op if not
        self.begin_compensation(rec)     # do not run the later steps

    def begin_compensation(self, rec):
        rec.state = "compensating"
        rec.to_compensate = list(reversed(rec.done))     # Cj .. C1
        self.log(rec, "compensating", None, f"steps {rec.to_compensate}")
        self.compensate_next(rec)


def seed_source() -> str:
    """The seed manager's code (:class:`caplab.txn.seed.SeedOrchestrator`), to read and fix."""
    return textwrap.dedent(inspect.getsource(SeedOrchestrator))


@dataclass
class SagaRun:
    """One graded run: the system, what was injected, and the checkers' verdicts."""

    seed: int
    manager: str
    system: Any = field(repr=False)
    injected: list            # (saga, what was refused or None, crash-after event or None)
    atomicity: Any
    invariants: Any
    refused_then_compensated: list      # (saga, index, service): undoing what never ran
    error: BaseException | None = None
    lost: dict = field(default_factory=dict)   # saga -> service whose step replies were lost

    @property
    def ok(self) -> bool:
        return (self.error is None and self.atomicity.valid is True
                and self.invariants.valid is True and not self.refused_then_compensated)

    def explain(self) -> str:
        """The faults injected, then both checkers' explanations."""
        lines = [f"lab 7 run, {self.manager}, seed {self.seed}:"]
        for saga, refused, crash in self.injected:
            what = [f"{refused[0]}.{refused[1]} refused" if refused else "no step refused"]
            if crash:
                what.append(f"orchestrator crashes after '{crash}'")
            if saga in self.lost:
                what.append(f"{self.lost[saga]}'s replies to the orchestrator lost (its step "
                            f"ran, the manager never hears back)")
            lines.append(f"  {saga}: {', '.join(what)}")
        if self.error is not None:
            lines.append(f"  raised {type(self.error).__name__}: {self.error}")
        lines += [self.atomicity.explain(), self.invariants.explain()]
        lines += [f"  - {saga}: step {i} was refused at {svc}, and was compensated anyway"
                  for saga, i, svc in self.refused_then_compensated]
        return "\n".join(lines)

    def figures(self, saga: str | None = None) -> dict:
        """``{"sequence": ..., "locks": ...}``: the messages of ``saga`` (default: the first
        one at fault, else the first) with its failure points, and the lock timeline."""
        from ...txn.report import lock_timeline_data, protocol_marks
        from ...viz.txn import lock_timeline, txn_sequence
        records = self.system.records
        bad = [s for s in self.atomicity.offending + self.invariants.offending if s in records]
        saga = saga or (bad[0] if bad else sorted(records)[0])
        if saga not in records:
            raise ConfigError(f"saga must be one of {sorted(records)}, got {saga!r}")
        events = records[saga].events
        lo, hi = events[0][0], max(events[-1][0], events[0][0] + 1)
        trace = self.system.sim.trace
        return {"sequence": txn_sequence(trace, protocol_marks(trace, since_ms=lo, until_ms=hi),
                                         since_ms=lo, until_ms=hi + 5),
                "locks": lock_timeline(lock_timeline_data(self.system))}


def _refused_then_compensated(system) -> list:
    out = []
    for name, svc in system.services.items():
        for key, (ok, _, why) in svc.applied.items():
            if not key.endswith(":c") or why != "nothing to undo":
                continue
            step = key[:-2]
            if step in svc.applied and not svc.applied[step][0] and step not in svc.voided:
                saga, _, rest = step.partition(".")
                out.append((saga, int(rest.split(".")[0]), name))
    return sorted(out)


def run(manager_class, seed: int = 1) -> SagaRun:
    """Run ``manager_class`` as the grader does, for one seed.

    Args:
        manager_class: a subclass of :class:`SagaManager` (or any orchestrator class, e.g.
            :class:`SeedOrchestrator`).
        seed: the seed (same seed, same faults, same run).

    Returns:
        a :class:`SagaRun` (``.ok``, ``.explain()``, ``.figures()``, ``.system``).

    Example:
        >>> run(ReferenceManager, seed=1).ok
        True
    """
    rng = random.Random(f"lab07-{seed}")
    lost_rng = random.Random(f"lab07-lost-{seed}")      # its own draws: the others stay put
    s = Sagas(seed=seed, manager=manager_class)
    injected, error, lost = [], None, {}
    for n in range(1, SAGAS + 1):
        saga = f"o{n}"
        refused = _FAILING[rng.randrange(len(_FAILING))] if rng.random() < 0.75 else None
        crash = _CRASH_AFTER[rng.randrange(len(_CRASH_AFTER))] if rng.random() < 0.6 else None
        injected.append((saga, refused, crash))
        if refused:
            s.refuse(*refused)
        if crash:
            s.crash_after(crash, saga=saga)
        if refused is None and not lost:
            # In the first saga with no refusal, one service's answers are lost: its step runs,
            # the manager sees a failure with maybe=True, and must undo what may have run.
            lost[saga] = _FAILING[lost_rng.randrange(len(_FAILING))][0]
            s.world.network.set_loss(1.0, src=lost[saga], dst=s.orchestrator.name,
                                     kind="StepDone")
        try:
            s.saga_async(s.order_steps(saga), saga=saga)
            for _ in range(4):          # a late crash (after a timeout) is restarted too
                s.run_for(300)
                if not s.orchestrator.up:
                    s.restart(s.orchestrator.name)   # recovers from its durable saga log
        except NotImplementedError:
            raise
        except Exception as exc:        # noqa: BLE001 - the student's code raised: say where
            error = exc
            break
        if refused:                     # an unused refusal must not leak to the next saga
            s.service(refused[0]).refusals.pop(refused[1], None)
        if saga in lost:
            s.world.network.set_loss(0.0, src=lost[saga], dst=s.orchestrator.name,
                                     kind="StepDone")
    return SagaRun(seed, getattr(manager_class, "__name__", str(manager_class)), s, injected,
                   check_atomicity(s), check_invariants(s), _refused_then_compensated(s), error,
                   lost)


def _check_class(answer) -> None:
    if answer is None or answer is Ellipsis:
        raise NotAttempted("replace the placeholder ... with your class derived from "
                           "SagaManager")
    if not (isinstance(answer, type) and issubclass(answer, Orchestrator)):
        raise Incorrect(f"expected a class derived from lab07.SagaManager, got {answer!r}")


def _first(result) -> str:
    return result.reasons[0] if result.reasons else result.checker


def _grade(answer) -> str:
    _check_class(answer)
    _LAST_CHECKED[:] = [answer]
    failed = compensated = 0
    for seed in SEEDS:
        try:
            r = run(answer, seed)
        except NotImplementedError:
            raise NotAttempted("your manager still raises NotImplementedError: write "
                               "step_failed and begin_compensation, then run check() "
                               "again") from None
        where = f"lab07.replay(seed={seed})"
        if r.error is not None:
            raise Incorrect(f"with seed {seed}, your manager raised {type(r.error).__name__}: "
                            f"{r.error}", seed=seed, replay=where)
        if r.refused_then_compensated:
            saga, index, service = r.refused_then_compensated[0]
            raise Incorrect(f"with seed {seed}, {saga}: step {index} was refused at {service} "
                            f"(it never ran) and your manager compensated it anyway: only the "
                            f"completed steps are undone (a refund of a charge that never "
                            f"happened gives money away)", seed=seed, replay=where)
        running = r.atomicity.details.get("running") or []
        if r.atomicity.valid is None and running:
            raise Incorrect(f"with seed {seed}, saga {running[0]} never finished (state "
                            f"{r.system.records[running[0]].state!r}): after a failure, set "
                            f"rec.state = 'compensating' and call self.compensate_next(rec), "
                            f"which undoes rec.to_compensate and then finishes",
                            seed=seed, replay=where)
        if r.atomicity.valid is not True:
            raise Incorrect(f"with seed {seed}, the atomicity checker says: "
                            f"{_first(r.atomicity)}", seed=seed, replay=where)
        if r.invariants.valid is not True:
            raise Incorrect(f"with seed {seed}, the business invariants say: "
                            f"{_first(r.invariants)}", seed=seed, replay=where)
        states = [rec.state for rec in r.system.records.values()]
        failed += sum(1 for _, refused, _ in r.injected if refused)
        compensated += states.count("compensated")
    return (f"atomic in {len(SEEDS)} runs of {SAGAS} sagas with steps refused, answers lost "
            f"and the orchestrator crashing: {compensated} sagas rolled back in reverse order, "
            f"none ran a step after a failure.")


def replay(seed: int, manager_class=None) -> SagaRun:
    """Rebuild the graded run of ``seed``: ``.explain()``, ``.figures()``, ``.system``.

    Args:
        seed: the seed an Incorrect outcome named.
        manager_class: the class to run; default the one the last ``check()`` ran.

    Raises:
        ConfigError: no class given and none checked yet.

    Example:
        >>> replay(seed=2, manager_class=SeedOrchestrator).ok
        False
    """
    if manager_class is None:
        if not _LAST_CHECKED:
            raise ConfigError(f"nothing to replay yet: run lab07.q1.check(...) first, or give "
                              f"the class: lab07.replay(seed={seed}, manager_class=...)")
        manager_class = _LAST_CHECKED[0]
    return run(manager_class, seed)


q1 = TieredExercise(
    "Lab 7, question 1: fix the seed manager",
    answer_name="MyManager",
    grader=_grade,
    hints=("Print lab07.seed_source() and look at what step_failed does next, and at the "
           "order of rec.to_compensate. What would a customer see if the stock step failed?",
           "A saga runs T1..Tj and then, if T(j+1) fails, Cj..C1 (Garcia-Molina & Salem): "
           "after a failure no later step may run, and the compensations go newest first. "
           "Only steps in rec.done ran; the refused step did not. A step that failed with "
           "maybe=True (no answer came) may have run: undo it too.",
           "step_failed: append (index, reason) to rec.failed, self.log(rec, 'step_failed', "
           "index, reason); if maybe, append index to rec.done (it may have run); then call "
           "self.begin_compensation(rec). begin_compensation: rec.state = 'compensating'; "
           "rec.to_compensate = list(reversed(rec.done)); log 'compensating'; "
           "self.compensate_next(rec)."),
    solution=("from caplab.labkit.labs.lab07 import SagaManager\n\n"
              + textwrap.dedent(inspect.getsource(ReferenceManager)).replace(
                  "ReferenceManager", "MyManager")),
    reference=ReferenceManager,
)
