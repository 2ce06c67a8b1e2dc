"""The "seed manager": the saga manager of the source material, shipped faithfully with its
two bugs, beside the correct one (:class:`caplab.txn.saga.Orchestrator`).

Bug 1: after a step fails it goes on executing the later steps (a shipment is scheduled for an
order whose stock could not be reserved). Bug 2: at the end it compensates the completed steps
in *forward* order, where Garcia-Molina & Salem's saga runs Cj..C1 (the order is cancelled
while its shipment is still scheduled). Everything else (durable log, idempotency keys,
retries, ``CompensationFailed``) is the same, so the checker's findings are the two bugs'.
"""

from __future__ import annotations

from .saga import Orchestrator, SagaRecord

__all__ = ["SeedOrchestrator"]


class SeedOrchestrator(Orchestrator):
    """The seed manager (buggy on purpose; see the module docstring)."""

    kind = "seed"

    def step_failed(self, rec: SagaRecord, index: int, reason: str, *, maybe=False) -> None:
        rec.failed.append((index, reason))
        self.log(rec, "step_failed", index, reason)
        if maybe:
            rec.done.append(index)
        rec.index = index + 1           # bug 1: carry on with the next step
        self.run_step(rec)

    def run_step(self, rec: SagaRecord) -> None:
        if rec.index >= len(rec.steps) and rec.failed and rec.state == "running":
            self.begin_compensation(rec)
            return
        super().run_step(rec)

    def begin_compensation(self, rec: SagaRecord) -> None:
        rec.state = "compensating"
        rec.to_compensate = list(rec.done)      # bug 2: forward order
        self.log(rec, "compensating", None, f"steps {rec.to_compensate}")
        self.compensate_next(rec)
