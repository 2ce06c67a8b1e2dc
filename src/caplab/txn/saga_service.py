"""A service that runs saga steps: each step one local transaction, idempotent by key.

A saga is a sequence of local transactions (Garcia-Molina & Salem, 1987); a failed step is
undone by running the compensations of the steps that completed. Messages can be resent
(a timeout, an orchestrator restart), so every step and every compensation carries an
idempotency key, recorded durably with its result in the same local transaction
(microservices.io *idempotent consumer*): a duplicate gets the recorded answer and runs
nothing twice. A compensation that arrives before its action voids the action (the action is
then refused), so a late retry cannot resurrect a cancelled step.
"""

from __future__ import annotations

from ..net.message import message
from .service import Service

__all__ = ["SagaService", "DoStep", "StepDone", "Compensate", "Compensated"]


@message
class DoStep:
    saga: str
    index: int
    key: str
    action: str
    args: dict


@message
class StepDone:
    saga: str
    index: int
    key: str
    ok: bool
    output: dict
    reason: str = ""


@message
class Compensate:
    saga: str
    index: int
    key: str          # the step's key; the compensation's own key is key + ":c"
    action: str
    args: dict


@message
class Compensated:
    saga: str
    index: int
    key: str
    ok: bool
    reason: str = ""


class SagaService(Service):
    """A service of a saga. Durable: ``applied`` (key -> (ok, output, reason)), ``voided``."""

    def __init__(self, name, domain, sequencer=None) -> None:
        super().__init__(name, domain, sequencer)
        self.applied: dict[str, tuple] = {}
        self.voided: set[str] = set()
        self.running: set[str] = set()          # volatile: keys being run now

    def handle_do_step(self, msg: DoStep, src: str) -> None:
        key = msg.key
        if key in self.applied:
            ok, output, reason = self.applied[key]
            self.send(src, StepDone(msg.saga, msg.index, key, ok, output, reason))
            return
        if key in self.voided:
            self.send(src, StepDone(msg.saga, msg.index, key, False, {},
                                    "already compensated: the step was cancelled"))
            return
        if key in self.running:
            return
        self.running.add(key)

        def done(result):
            self.running.discard(key)
            self.applied[key] = (result.ok, result.output, result.reason or "")
            self.send(src, StepDone(msg.saga, msg.index, key, result.ok, result.output,
                                    result.reason or ""))

        self.run_local(key, msg.action, msg.args, done)

    def handle_compensate(self, msg: Compensate, src: str) -> None:
        ckey = msg.key + ":c"
        if ckey in self.applied:
            self.send(src, Compensated(msg.saga, msg.index, msg.key, True))
            return
        if msg.key in self.running:
            return       # the action is still running (waiting for a lock): answer on a retry
        if msg.key not in self.applied or not self.applied[msg.key][0]:
            # The action never ran (or was refused): nothing to undo; refuse it from now on.
            if msg.key not in self.applied:
                self.voided.add(msg.key)
            self.applied[ckey] = (True, {}, "nothing to undo")
            self.send(src, Compensated(msg.saga, msg.index, msg.key, True))
            return
        if ckey in self.running:
            return
        self.running.add(ckey)

        def done(result):
            self.running.discard(ckey)
            if result.ok:
                self.applied[ckey] = (True, result.output, "")
            self.send(src, Compensated(msg.saga, msg.index, msg.key, result.ok,
                                       result.reason or ""))

        self.run_local(ckey, msg.action, msg.args, done)

    def on_crash(self) -> None:
        self.running = set()
        super().on_crash()
