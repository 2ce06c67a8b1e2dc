"""Lab 6's grader: the reference and an offset-based answer pass; a consumer that adds every
delivery fails (caught only by the crashes between processing and committing); skeletons are
Not attempted."""

import runpy
from pathlib import Path

from caplab.labkit.labs import lab06

LAB = Path(__file__).resolve().parents[2] / "labs" / "lab06-idempotent-consumer"


def test_the_reference_is_correct_and_sees_redeliveries():
    """Correct, and the runs really redeliver (otherwise the lab would test nothing)."""
    outcome = lab06.q1.check(lab06.reference_apply_payment)
    assert outcome.correct
    assert sum(lab06.run_payments(lab06.reference_apply_payment, s)["redelivered"]
               for s in lab06.SEEDS) > 10


def test_deduplicating_by_offset_is_also_correct():
    """Keeping the last applied offset per partition is idempotent too."""
    def by_offset(store, message):
        last = store.setdefault("last", {})
        if message["offset"] <= last.get(message["partition"], -1):
            return
        last[message["partition"]] = message["offset"]
        store["balance"] = store.get("balance", 0) + message["amount"]
    assert lab06.q1.check(by_offset).correct


def test_a_consumer_that_adds_every_delivery_is_incorrect():
    """Without deduplication the balance is too high, and the message names the seed."""
    def naive(store, message):
        store["balance"] = store.get("balance", 0) + message["amount"]
    outcome = lab06.q1.check(naive)
    assert outcome.status == "Incorrect" and "applied twice" in outcome.text()
    assert "seed=" in outcome.text()


def test_skipping_real_messages_is_incorrect():
    """Dropping every second message is caught as lost payments."""
    def lossy(store, message):
        if message["offset"] % 2:
            return
        store["balance"] = store.get("balance", 0) + message["amount"]
    assert "never applied" in lab06.q1.check(lossy).text()


def test_skeletons_are_not_attempted():
    """The notebook's skeleton and ... are Not attempted; a non-function is Incorrect."""
    def skeleton(store, message):
        raise NotImplementedError
    assert lab06.q1.check(skeleton).status == "Not attempted"
    assert lab06.q1.check(...).status == "Not attempted"
    assert lab06.q1.check(42).status == "Incorrect"


def test_the_solution_file_passes():
    """labs/lab06-idempotent-consumer/solution.py passes the checker."""
    ns = runpy.run_path(str(LAB / "solution.py"))
    assert lab06.q1.check(ns["apply_payment"]).correct
