"""The orchestrated saga: a manager runs the steps in order and, on a failure, the
compensations of the completed steps in reverse order.

Garcia-Molina & Salem (1987): a saga runs either T1..Tn or T1..Tj, Cj..C1. The orchestrator
keeps a durable saga log (every step started, done, failed, compensated), so after a crash it
resumes forward or backward; steps and compensations carry idempotency keys, so none runs twice.
Azure *Compensating Transaction*: a compensation can itself fail, so it is retried, and after
``compensation_retries`` a ``CompensationFailed`` event is published for a person to handle (a
durable dead-letter list, and with ``Sagas(bus=True)`` the topic of :mod:`caplab.txn.alerts`).
Azure *Saga*: steps after the *pivot* (the point of no return) are retried until they succeed.
Forward recovery: a step with ``alternatives`` (another hotel in the same city) is offered to
the customer, who accepts or declines; declining carries on compensating. Faults covered:
step failures, compensation failures, lost messages (timeouts, resent with the same key),
orchestrator crash and restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..net.endpoint import Endpoint
from ..net.message import message
from .saga_service import Compensate, DoStep

__all__ = ["Step", "Orchestrator", "SagaRecord", "StartSaga", "SagaOutcome", "Offer",
           "OfferReply", "CompensationFailed"]


@dataclass(frozen=True, repr=False)
class Step:
    """One saga step: an action of a service and the compensation that undoes it.

    ``compensation`` may be None only for the pivot and the steps after it (they are never
    undone). ``alternatives``: other argument sets to offer the customer when the step fails
    (forward recovery). ``derive``: arguments computed from what an earlier step returned
    (``("value", 0, "stock", -1)``: the stock step 0 read, minus one).
    """

    service: str
    action: str
    args: dict
    compensation: str | None = None
    pivot: bool = False
    alternatives: tuple = ()
    derive: tuple = ()       # (arg, from_step, output_key, delta): an arg from an earlier output

    @property
    def name(self) -> str:
        return f"{self.service}.{self.action}"

    def __repr__(self) -> str:
        # Short: a saga's steps are its history input, printed in every history text.
        return f"Step({self.name}{', pivot' if self.pivot else ''})"


@message
class StartSaga:
    saga: str
    steps: tuple


@message
class SagaOutcome:
    saga: str
    state: str        # "completed", "compensated", "compensation_failed"
    detail: str = ""


@message
class Offer:
    saga: str
    index: int
    args: dict
    reason: str


@message
class OfferReply:
    saga: str
    index: int
    accept: bool


@dataclass(frozen=True)
class CompensationFailed:
    """Published when a compensation failed ``compensation_retries`` times."""

    saga: str
    index: int
    service: str
    action: str
    reason: str
    time_ms: int


@dataclass
class SagaRecord:
    """The durable saga log of one saga (what a restarted orchestrator resumes from)."""

    saga: str
    client: str
    steps: tuple
    state: str = "running"       # running, awaiting_customer, compensating, + the end states
    index: int = 0               # the step being run
    keys: dict = field(default_factory=dict)       # index -> the key of the run that counts
    args: dict = field(default_factory=dict)       # index -> the args actually used
    done: list = field(default_factory=list)       # indices completed, in order
    outputs: dict = field(default_factory=dict)    # index -> what the step returned
    failed: list = field(default_factory=list)     # (index, reason)
    to_compensate: list = field(default_factory=list)
    offers: int = 0
    events: list = field(default_factory=list)     # (time_ms, kind, index, detail)

    @property
    def finished(self) -> bool:
        return self.state in ("completed", "compensated", "compensation_failed")

    @property
    def pivot(self) -> int | None:
        for i, step in enumerate(self.steps):
            if step.pivot:
                return i
        return None


class Orchestrator(Endpoint):
    """The saga manager (correct). Durable: ``sagas`` (the saga log), ``dead_letters``.

    Args:
        step_timeout_ms: resend a step (same key) when no answer came by then.
        step_retries: timeouts before a compensable step counts as failed.
        compensation_retries: failed attempts before ``CompensationFailed`` is published.
        retry_ms: pause before a retry (after the pivot: until success).
    """

    kind = "correct"

    def __init__(self, name: str, *, step_timeout_ms: int, step_retries: int,
                 compensation_retries: int, retry_ms: int, offer_timeout_ms: int) -> None:
        super().__init__(name)
        self.step_timeout_ms = step_timeout_ms
        self.step_retries = step_retries
        self.compensation_retries = compensation_retries
        self.retry_ms = retry_ms
        self.offer_timeout_ms = offer_timeout_ms
        self.sagas: dict[str, SagaRecord] = {}
        self.dead_letters: list[CompensationFailed] = []
        self.alerts = None                # an AlertRelay when the saga runs with a bus
        self.crash_plan: dict = {}        # (saga or None, event) -> True: crash after it
        self._attempts: dict = {}         # volatile: (saga, index, phase) -> attempts
        self._timers: dict = {}           # volatile: saga -> the timer waiting for an answer

    def send(self, dst: str, msg) -> None:
        if self.up:              # a handler that crashed the node half-way sends nothing more
            self.network.send(self.name, dst, msg)

    def log(self, rec: SagaRecord, kind: str, index: int | None, detail: str = "") -> None:
        rec.events.append((self.now, kind, index, detail))
        if self.network.sim.trace.enabled:
                self.trace("saga", f"{rec.saga} {kind}"
                       + (f" step {index}" if index is not None else "")
                       + (f": {detail}" if detail else ""))
        plan = self.crash_plan
        if plan and ((rec.saga, kind) in plan or (None, kind) in plan):
            plan.pop((rec.saga, kind), None) or plan.pop((None, kind), None)
            self.network.crash(self.name)

    # -- forward ----------------------------------------------------------------------------
    def handle_start_saga(self, msg: StartSaga, src: str) -> None:
        if msg.saga in self.sagas:
            return
        rec = SagaRecord(msg.saga, src, msg.steps)
        self.sagas[msg.saga] = rec
        self.log(rec, "start", None)
        if self.up:
            self.run_step(rec)

    def run_step(self, rec: SagaRecord) -> None:
        i = rec.index
        if i >= len(rec.steps):
            self.finish(rec)
            return
        step = rec.steps[i]
        key = rec.keys.setdefault(i, f"{rec.saga}.{i}")
        if i not in rec.args:
            args = dict(step.args)
            for arg, source, out_key, delta in step.derive:
                args[arg] = rec.outputs.get(source, {}).get(out_key, 0) + delta
            rec.args[i] = args
        args = rec.args[i]
        self.send(step.service, DoStep(rec.saga, i, key, step.action, args))
        attempt = self._attempts.get((rec.saga, i, "do"), 0)
        self._wait(rec.saga, self.set_timer(self.step_timeout_ms, self.on_step_timeout,
                                            rec.saga, i, key, attempt))

    def _wait(self, saga: str, timer) -> None:
        old = self._timers.get(saga)
        if old is not None:
            old.cancel()
        self._timers[saga] = timer

    def _answered(self, saga: str) -> None:
        timer = self._timers.pop(saga, None)
        if timer is not None:
            timer.cancel()

    def on_step_timeout(self, saga: str, index: int, key: str, attempt: int) -> None:
        rec = self.sagas[saga]
        if rec.state != "running" or rec.index != index or rec.keys.get(index) != key \
                or self._attempts.get((saga, index, "do"), 0) != attempt:
            return
        self._attempts[(saga, index, "do")] = attempt + 1
        if attempt + 1 >= self.step_retries and not self.past_pivot(rec, index):
            # No answer: the step may or may not have run; compensate it too (idempotent).
            self.step_failed(rec, index, "no answer (timeout): may have run", maybe=True)
            return
        self.log(rec, "retry", index, "timeout; resending with the same key")
        self.run_step(rec)

    def past_pivot(self, rec: SagaRecord, index: int) -> bool:
        pivot = rec.pivot
        return pivot is not None and index > pivot

    def handle_step_done(self, msg, src: str) -> None:
        rec = self.sagas.get(msg.saga)
        if rec is None or rec.keys.get(msg.index) != msg.key or rec.index != msg.index \
                or rec.state != "running":
            return                           # a late or duplicate answer
        self._attempts.pop((rec.saga, msg.index, "do"), None)
        self._answered(rec.saga)
        if msg.ok:
            rec.done.append(msg.index)
            rec.outputs[msg.index] = msg.output
            self.log(rec, "step_done", msg.index, rec.steps[msg.index].name)
            rec.index += 1
            if self.up:
                self.run_step(rec)
            return
        self.step_failed(rec, msg.index, msg.reason)

    def step_failed(self, rec: SagaRecord, index: int, reason: str, *, maybe=False) -> None:
        """A step failed: retry past the pivot, offer an alternative, or compensate."""
        step = rec.steps[index]
        if self.past_pivot(rec, index):
            self.log(rec, "retry", index, f"after the pivot, retried until it succeeds: {reason}")
            if not maybe:      # a refusal is recorded under its key: retry under a new one
                tries = sum(1 for e in rec.events if e[1] == "retry" and e[2] == index)
                rec.keys[index] = f"{rec.saga}.{index}.try{tries}"
            self.set_timer(self.retry_ms, self.run_step, rec, daemon=True)
            return
        rec.failed.append((index, reason))
        self.log(rec, "step_failed", index, reason)
        if maybe:
            rec.done.append(index)           # may have run: its compensation is a no-op if not
        if not maybe and rec.offers < len(step.alternatives):
            self.offer(rec, index, reason)
            return
        self.begin_compensation(rec)

    # -- forward recovery: the customer decides ---------------------------------------------
    def offer(self, rec: SagaRecord, index: int, reason: str) -> None:
        args = rec.steps[index].alternatives[rec.offers]
        rec.state = "awaiting_customer"
        self.log(rec, "offer", index, f"{args}")
        self.send(rec.client, Offer(rec.saga, index, args, reason))
        self.set_timer(self.offer_timeout_ms, self.on_offer_timeout, rec.saga, rec.offers)

    def on_offer_timeout(self, saga: str, offers: int) -> None:
        rec = self.sagas[saga]
        if rec.state == "awaiting_customer" and rec.offers == offers:
            self.handle_offer_reply(OfferReply(saga, rec.index, False), rec.client)

    def handle_offer_reply(self, msg: OfferReply, src: str) -> None:
        rec = self.sagas.get(msg.saga)
        if rec is None or rec.state != "awaiting_customer" or msg.index != rec.index:
            return
        args = rec.steps[rec.index].alternatives[rec.offers]
        rec.offers += 1
        if msg.accept:
            rec.state = "running"
            rec.keys[rec.index] = f"{rec.saga}.{rec.index}.alt{rec.offers}"
            rec.args[rec.index] = args
            self.log(rec, "offer_accepted", rec.index, f"{args}")
            self.run_step(rec)
        else:
            self.log(rec, "offer_declined", rec.index)
            self.begin_compensation(rec)

    # -- backward ---------------------------------------------------------------------------
    def begin_compensation(self, rec: SagaRecord) -> None:
        """Compensate the completed steps in reverse order (Garcia-Molina & Salem)."""
        rec.state = "compensating"
        rec.to_compensate = list(reversed(rec.done))
        self.log(rec, "compensating", None, f"steps {rec.to_compensate}")
        self.compensate_next(rec)

    def compensate_next(self, rec: SagaRecord) -> None:
        if rec.state != "compensating" or not self.up:
            return
        if not rec.to_compensate:
            self.finish(rec)
            return
        i = rec.to_compensate[0]
        step = rec.steps[i]
        self.send(step.service, Compensate(rec.saga, i, rec.keys[i], step.compensation,
                                           rec.args[i]))
        attempt = self._attempts.get((rec.saga, i, "comp"), 0)
        self._wait(rec.saga, self.set_timer(self.step_timeout_ms, self.on_compensation_timeout,
                                            rec.saga, i, attempt))

    def on_compensation_timeout(self, saga: str, index: int, attempt: int) -> None:
        rec = self.sagas[saga]
        if rec.to_compensate[:1] == [index] and \
                self._attempts.get((saga, index, "comp"), 0) == attempt:
            self.compensation_attempt_failed(rec, index, "no answer (timeout)")

    def handle_compensated(self, msg, src: str) -> None:
        rec = self.sagas.get(msg.saga)
        if rec is None or rec.state != "compensating" or rec.to_compensate[:1] != [msg.index]:
            return
        self._answered(rec.saga)
        if msg.ok:
            self._attempts.pop((rec.saga, msg.index, "comp"), None)
            rec.to_compensate.pop(0)
            self.log(rec, "compensated", msg.index, rec.steps[msg.index].name)
            self.compensate_next(rec)
        else:
            self.compensation_attempt_failed(rec, msg.index, msg.reason)

    def compensation_attempt_failed(self, rec: SagaRecord, index: int, reason: str) -> None:
        key = (rec.saga, index, "comp")
        self._attempts[key] = self._attempts.get(key, 0) + 1
        if self._attempts[key] < self.compensation_retries:
            self.log(rec, "compensation_retry", index, reason)
            self.set_timer(self.retry_ms, self.compensate_next, rec)
            return
        step = rec.steps[index]
        event = CompensationFailed(rec.saga, index, step.service, step.compensation, reason,
                                   self.now)
        self.dead_letters.append(event)        # durable: the checker reads it (an outbox)
        if self.alerts is not None:
            self.alerts.publish(event)         # on the bus, for another service or a person
        rec.to_compensate.pop(0)
        self.log(rec, "compensation_failed", index, reason)
        self.compensate_next(rec)

    def finish(self, rec: SagaRecord) -> None:
        if rec.state == "running":
            rec.state = "completed"
        elif any(e.saga == rec.saga for e in self.dead_letters):
            rec.state = "compensation_failed"
        else:
            rec.state = "compensated"
        self.log(rec, rec.state, None)
        self.send(rec.client, SagaOutcome(rec.saga, rec.state,
                                          "; ".join(r for _, r in rec.failed)))

    # -- crash and recovery -------------------------------------------------------------------
    def on_crash(self) -> None:
        self._attempts = {}
        self._timers = {}

    def on_restart(self) -> None:
        """Resume every unfinished saga from the durable log: forward or backward."""
        for rec in sorted(self.sagas.values(), key=lambda r: r.saga):
            if rec.finished:
                continue
            self.log(rec, "resume", rec.index if rec.state == "running" else None, rec.state)
            if rec.state == "running":
                self.run_step(rec)
            elif rec.state == "compensating":
                self.compensate_next(rec)
            elif rec.state == "awaiting_customer":
                self.offer(rec, rec.index, "resent after restart")
