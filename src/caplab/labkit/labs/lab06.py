"""Lab 6: an idempotent consumer. At-least-once delivery plus a consumer that applies each
message once is effectively-once.

The student writes ``apply_payment(store, message)``: ``store`` is the consumer's own database
(a dict that survives its crashes), ``message`` a dict ``{"id", "key", "amount", "partition",
"offset"}`` from a Kafka-like log. The grader runs, for several seeds, a topic of payments read
by a group of two consumers that commit *after* processing (at-least-once), and crashes them
between processing and committing, so that messages are delivered again after the rebalance.
Correct when, every time, the balance equals the sum of the payments: no message lost, none
applied twice (microservices.io, "Idempotent Consumer": record the ids of processed messages in
the same transaction as the change).

Example::

    from caplab.labkit.labs import lab06
    lab06.q1.check(apply_payment)
"""

from __future__ import annotations

import random

from ...bus.kafka import KafkaLog
from ..exercise import Exercise, Incorrect
from ._common import require_function, skeleton_is_not_attempted

__all__ = ["q1", "run_payments", "reference_apply_payment", "SEEDS", "PAYMENTS"]

#: the seeds every answer is run with
SEEDS = (1, 2, 3, 4, 5)
#: payments per run
PAYMENTS = 30


def reference_apply_payment(store: dict, message: dict) -> None:
    """Apply a payment once: remember its id with the balance, skip an id seen before."""
    seen = store.setdefault("seen", set())
    if message["id"] in seen:
        return                      # a redelivery: already applied
    seen.add(message["id"])
    store["balance"] = store.get("balance", 0) + message["amount"]


def run_payments(apply_payment, seed: int) -> dict:
    """One graded run: ``PAYMENTS`` payments on 2 partitions, consumers c1 and c2 committing
    after processing, and crashes between processing and committing.

    Returns:
        ``{"balance", "expected", "deliveries", "redelivered"}``.
    """
    rng = random.Random(f"lab06-{seed}")
    log = KafkaLog(brokers=3, seed=seed)
    log.create_topic("payments", partitions=2)
    producer = log.producer("shop")
    amounts = [rng.randint(1, 20) for _ in range(PAYMENTS)]
    for i, amount in enumerate(amounts):
        producer.produce("payments", amount, key=f"order{i}")
    consumers = [log.consumer(name, "billing", "payments") for name in ("c1", "c2")]
    log.run_for(100)
    store: dict = {}
    seen_ids: list = []
    for _ in range(40):
        for c in consumers:
            if not c.up:
                if rng.random() < 0.5:
                    log.restart(c.name)
                continue
            batch = c.poll()
            if not batch.ok or not batch.value:
                continue
            for partition, offset, mid, key, amount in batch.value:
                seen_ids.append(mid)
                apply_payment(store, {"id": mid, "key": key, "amount": amount,
                                      "partition": partition, "offset": offset})
            if rng.random() < 0.3:
                log.crash(c.name)          # processed, not committed: redelivered later
            else:
                c.commit()
        log.run_for(150)
    for c in consumers:                    # everyone back, until the topic is drained
        if not c.up:
            log.restart(c.name)
    log.run_for(800)
    for _ in range(6):
        for c in consumers:
            batch = c.poll()
            for partition, offset, mid, key, amount in (batch.value or ()):
                seen_ids.append(mid)
                apply_payment(store, {"id": mid, "key": key, "amount": amount,
                                      "partition": partition, "offset": offset})
            c.commit()
    return {"balance": store.get("balance", 0), "expected": sum(amounts),
            "deliveries": len(seen_ids), "redelivered": len(seen_ids) - len(set(seen_ids))}


@skeleton_is_not_attempted
def _grade(answer) -> str:
    require_function(answer, "apply_payment(store, message)", 2)
    fn = answer
    total_redelivered = 0
    for seed in SEEDS:
        try:
            run = run_payments(fn, seed)
        except NotImplementedError:
            raise
        except Exception as e:      # noqa: BLE001 - the student's code raised: say where
            raise Incorrect(f"apply_payment raised {type(e).__name__}: {e}", seed=seed) from e
        total_redelivered += run["redelivered"]
        if run["balance"] > run["expected"]:
            raise Incorrect(f"the balance is {run['balance']} but the payments add up to "
                            f"{run['expected']}: {run['redelivered']} messages were delivered "
                            f"again after a crash, and some were applied twice", seed=seed)
        if run["balance"] < run["expected"]:
            raise Incorrect(f"the balance is {run['balance']} but the payments add up to "
                            f"{run['expected']}: some payments were never applied (a message "
                            f"skipped that was not a duplicate?)", seed=seed)
    return (f"effectively-once: {total_redelivered} redeliveries over {len(SEEDS)} runs, none "
            f"applied twice, none lost")


q1 = Exercise("Lab 6, question 1: an idempotent consumer", answer_name="apply_payment",
              grader=_grade,
              hint="Messages come again after a crash, with the same id. Keep, in the store "
                   "itself, the ids you have applied, and skip those.",
              solution='''def apply_payment(store, message):
    seen = store.setdefault("seen", set())
    if message["id"] in seen:
        return                      # a redelivery: already applied
    seen.add(message["id"])
    store["balance"] = store.get("balance", 0) + message["amount"]''',
              reference=reference_apply_payment)
