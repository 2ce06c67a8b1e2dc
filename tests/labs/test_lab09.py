"""Lab 9's graders (Kafka durability): the references pass every question they answer; the
known-wrong settings fail with what happened, the orders lost and a seed; placeholders are Not
attempted; bad values are refused naming the value."""

import runpy
from pathlib import Path

import pytest

from caplab.labkit import CORRECT, INCORRECT, NOT_ATTEMPTED
from caplab.labkit.labs import lab09
from labreplay import run_named_replay

LAB = Path(__file__).resolve().parents[2] / "labs" / "lab09-kafka-durability"


def _answer(acks, rf, mir, unclean=False, **idempotence):
    return {"acks": acks, "replication_factor": rf, "min_insync_replicas": mir,
            "unclean_leader_election": unclean, **idempotence}


@pytest.mark.parametrize("q, n", [(lab09.q1, 1), (lab09.q2, 2), (lab09.q3, 3), (lab09.q4, 4)])
def test_the_references_are_correct(q, n):
    """Each question's reference (also in solution.py) passes its checker."""
    assert q.check(lab09.REFERENCE[n]).status == CORRECT
    ns = runpy.run_path(str(LAB / "solution.py"))
    assert q.check(ns[f"answer_q{n}"]).correct


@pytest.mark.parametrize("answer, words", [
    (_answer(1, 3, 1), ("acks=1", "before its followers copied", "offsets")),
    (_answer(1, 3, 2), ("acks=1",)),                     # min.insync.replicas ignored by acks=1
    (_answer(0, 3, 1), ("acks=0", "lost")),
    (_answer("all", 1, 1), ("replication_factor=1", "offline")),
])
def test_q1_acks_1_and_a_single_replica_lose_acknowledged_orders(answer, words):
    """Kafka docs, producer config acks: with acks=1 "the record will be lost" if the leader
    fails right after acknowledging, before the followers replicate it; one replica dies with
    its broker."""
    outcome = lab09.q1.check(answer)
    assert outcome.status == INCORRECT and outcome.seed is not None
    for word in words:
        assert word in outcome.message, outcome.message
    assert "dies for good" in outcome.message


@pytest.mark.parametrize("answer, words", [
    (_answer("all", 3, 1), ("min_insync_replicas=1", "fell out of the ISR", "lost")),
    (_answer("all", 3, 3), ("not writable", "0 of")),
    (_answer("all", 2, 2), ("not writable",)),
    (_answer("all", 2, 1), ("lost",)),
    (_answer(1, 3, 2), ("acks=1",)),
])
def test_q2_needs_rf3_min_insync_2_and_acks_all(answer, words):
    """Kafka docs, topic config min.insync.replicas: "a typical scenario would be to create a
    topic with a replication factor of 3, set min.insync.replicas to 2, and produce with acks
    of all", so a write no majority received raises NotEnoughReplicas instead of being
    acknowledged."""
    outcome = lab09.q2.check(answer)
    assert outcome.status == INCORRECT and outcome.seed is not None
    for word in words:
        assert word in outcome.message, outcome.message


@pytest.mark.parametrize("answer, words", [
    (lab09.REFERENCE[2], ("unclean_leader_election=False", "0 of")),
    (_answer("all", 3, 2, unclean=True), ("min_insync_replicas=2",)),
])
def test_q3_availability_needs_an_unclean_election(answer, words):
    """Kafka docs, unclean.leader.election.enable: a replica not in the ISR may be elected "as a
    last resort, even though doing so may result in data loss"; without it the partition waits
    for an in-sync replica."""
    outcome = lab09.q3.check(answer)
    assert outcome.status == INCORRECT and outcome.seed is not None
    for word in words:
        assert word in outcome.message, outcome.message


def test_q3_says_what_availability_cost():
    """The correct q3 answer's message counts the acknowledged orders the unclean election
    lost; acks=1 ignores min.insync.replicas, so acks=1 with 2 is available too."""
    assert lab09.q3.check(_answer(1, 3, 2, unclean=True)).correct
    outcome = lab09.q3.check(lab09.REFERENCE[3])
    assert outcome.correct and "lost" in outcome.message
    run = lab09.run_story(lab09.REFERENCE[3], lab09.STORIES[2], 1)
    assert run["lost"] and run["window"][1] > 0


def test_placeholders_are_not_attempted():
    """..., a dict of ... and a missing setting are Not attempted."""
    for q in (lab09.q1, lab09.q2, lab09.q3, lab09.q4):
        assert q.check(...).status == NOT_ATTEMPTED
        assert q.check({k: ... for k in lab09.KEYS}).status == NOT_ATTEMPTED
    assert lab09.q1.check({"acks": "all"}).status == NOT_ATTEMPTED


def test_bad_values_are_refused_naming_the_value():
    """acks=2, min.insync.replicas above the replication factor and an unknown setting are
    Incorrect with a message naming them."""
    assert "got 2" in lab09.q1.check(_answer(2, 3, 1)).message
    assert "min_insync_replicas" in lab09.q1.check(_answer("all", 2, 3)).message
    bad = lab09.q1.check(dict(_answer("all", 3, 2), retries=3))
    assert bad.status == INCORRECT and "retries" in bad.message


def test_hints_come_in_three_tiers(capsys):
    """hint() nudges, hint(3) gives the settings; hint(4) says the levels."""
    lab09.q2.hint()
    assert "Hint 1/3" in capsys.readouterr().out
    lab09.q2.hint(3)
    assert "min_insync_replicas=2" in capsys.readouterr().out
    lab09.q2.hint(4)
    assert "from 1 to 3" in capsys.readouterr().out


def test_same_seed_same_story():
    """A story replays exactly: same events, same lost orders."""
    a, b = (lab09.run_story(_answer(1, 3, 1), lab09.STORIES[0], 3) for _ in range(2))
    assert a["events"] == b["events"] and a["lost"] == b["lost"]


@pytest.mark.parametrize("answer, words", [
    (_answer("all", 3, 2, enable_idempotence=False),
     ("enable_idempotence=False", "producer id", "twice", "offsets")),
    (_answer(1, 3, 2), ("acks=1 turns Kafka's default idempotence off", "twice")),
    (_answer(0, 3, 1), ("acks=0", "lost")),
    (_answer("all", 1, 1, enable_idempotence=True), ("replication_factor=1", "lost")),
])
def test_q4_a_retry_without_idempotence_writes_an_order_twice(answer, words):
    """Kafka docs, producer config enable.idempotence: without it, "retries due to broker
    failures, etc., may write duplicates of the retried message in the stream"; its default
    (true) needs acks='all' and is off when acks conflicts."""
    outcome = lab09.q4.check(answer)
    assert outcome.status == INCORRECT and outcome.seed is not None
    for word in words:
        assert word in outcome.message, outcome.message
    assert "replies from leader" in outcome.message


def test_q4_idempotence_left_to_kafkas_default_is_on_with_acks_all():
    """Leaving enable_idempotence out gives Kafka's default: on with acks='all', so the
    retries of orders whose replies were lost are appended once."""
    assert lab09.q4.check(_answer("all", 3, 2)).correct
    run = lab09.run_story(_answer("all", 3, 2, enable_idempotence=False), lab09.STORIES[3], 2)
    assert run["duplicated"] and not run["lost"]


def test_q4_idempotence_with_acks_1_is_refused_as_kafka_does():
    """Kafka docs (enable.idempotence): "if idempotence is explicitly enabled and conflicting
    configurations are set, a ConfigException is thrown"; the message names acks."""
    outcome = lab09.q4.check(_answer(1, 3, 2, enable_idempotence=True))
    assert outcome.status == INCORRECT and "acks=1" in outcome.message
    assert "enable.idempotence" in outcome.message


@pytest.mark.parametrize("n, answer", [(1, _answer(1, 3, 1)), (2, _answer("all", 3, 1)),
                                       (3, _answer("all", 3, 2)),
                                       (4, _answer("all", 3, 2, enable_idempotence=False))])
def test_a_failure_names_a_replay_call_that_runs_the_same_story(n, answer):
    """Each question's Incorrect names, once, a run_story call with the skeleton's answer name
    and the failing seed; run as written it tells the same story the message tells."""
    outcome = getattr(lab09, f"q{n}").check(answer)
    call = f"lab09.run_story(answer_q{n}, lab09.STORIES[{n - 1}], seed={outcome.seed})"
    run = run_named_replay(outcome, call, {"lab09": lab09, f"answer_q{n}": answer})
    assert all(what in outcome.message for _, what in run["events"]), outcome.message
