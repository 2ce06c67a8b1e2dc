"""Lab 9: Kafka durability. The student chooses ``acks``, ``replication_factor``,
``min_insync_replicas``, ``unclean_leader_election`` and ``enable_idempotence`` for a topic of
orders on three brokers, once per stated requirement; the grader runs the requirement's fault
story on a Kafka-like log for several seeds and checks what happened to every acknowledged
order.

- q1: no acknowledged order may be lost when the partition's leader dies for good.
- q2: keep accepting orders while one broker is down, and still lose no acknowledged order
  when the remaining follower falls behind and the leader then dies for good (the operator
  brings the partition back with an unclean election, KIP-460, the only way left).
- q3: availability first: stay writable even when the only broker left had fallen behind;
  losing some orders is acceptable.
- q4: the leader's replies are lost for a while, so the shop retries orders the log already
  has; then the leader dies for good. Every order must be in the log exactly once: no
  duplicate from a retry, no acknowledged order lost.

Example::

    from caplab.labkit.labs import lab09
    lab09.q1.check({"acks": "all", "replication_factor": 3, "min_insync_replicas": 2,
                    "unclean_leader_election": False})
"""

from __future__ import annotations

import random

from ...bus.check import acknowledged, check_duplicated, check_lost
from ...bus.kafka import KafkaLog
from ...bus.kafka.options import check_acks, check_idempotence, check_topic_options
from ..exercise import Incorrect, NotAttempted
from ._common import require_attempt
from .lab05 import TieredExercise

__all__ = ["q1", "q2", "q3", "q4", "run_story", "STORIES", "SEEDS", "KEYS", "REFERENCE"]

#: the seeds every answer is run with
SEEDS = (1, 2, 3, 4, 5)
#: the settings an answer gives
KEYS = ("acks", "replication_factor", "min_insync_replicas", "unclean_leader_election",
        "enable_idempotence")
#: the stories, one per question
STORIES = ("leader dies", "follower behind, then leader dies", "only a stale broker left",
           "replies lost, then leader dies")
#: reference answers per question
REFERENCE = {
    1: {"acks": "all", "replication_factor": 3, "min_insync_replicas": 2,
        "unclean_leader_election": False},
    2: {"acks": "all", "replication_factor": 3, "min_insync_replicas": 2,
        "unclean_leader_election": False},
    3: {"acks": 1, "replication_factor": 3, "min_insync_replicas": 1,
        "unclean_leader_election": True},
    4: {"acks": "all", "replication_factor": 3, "min_insync_replicas": 2,
        "unclean_leader_election": False, "enable_idempotence": True},
}
GAP_MS = 4          # one order every 4 ms
RETRIES = 2         # the shop's producer retries a failed or unanswered order twice


def settings(answer) -> dict:
    """The answer checked and completed (``unclean_leader_election`` defaults to False;
    ``enable_idempotence``, when left out, to Kafka's default: on unless ``acks`` is 0 or 1).

    Raises:
        NotAttempted: the placeholder. Incorrect: not a dict, or an unknown setting.
        ConfigError: a value Kafka refuses (acks=2, min.insync.replicas > replication factor,
            enable_idempotence=True with acks 0 or 1).
    """
    require_attempt(answer, "a dict of settings")
    if not isinstance(answer, dict):
        raise Incorrect(f"expected a dict with {', '.join(KEYS)}, got {answer!r}")
    unknown = sorted(set(answer) - set(KEYS))
    if unknown:
        raise Incorrect(f"unknown setting(s) {unknown}; the settings are {list(KEYS)}")
    missing = [k for k in KEYS[:3] if k not in answer]
    if missing:
        raise NotAttempted(f"give {', '.join(missing)} too")
    out = dict({"unclean_leader_election": False, "enable_idempotence": None}, **answer)
    out["acks"] = check_acks(out["acks"])
    # Kafka refuses enable.idempotence=true with acks 0 or 1 (ConfigException), and turns its
    # default (true) off when acks conflicts; RETRIES > 0 here. Kept as the effective value.
    out["enable_idempotence"] = check_idempotence(out["enable_idempotence"], out["acks"],
                                                  RETRIES)
    check_topic_options("orders", {"replication_factor": out["replication_factor"],
                                   "min_insync_replicas": out["min_insync_replicas"]}, 3)
    if not isinstance(out["unclean_leader_election"], bool):
        raise Incorrect(f"unclean_leader_election must be True or False, got "
                        f"{out['unclean_leader_election']!r}")
    return out


def run_story(answer: dict, story: str, seed: int) -> dict:
    """Run one fault story with the answer's settings.

    Args:
        answer: the settings (see :func:`settings`). story: one of :data:`STORIES`.
        seed: the seed (the fault times are drawn from it too).

    Returns:
        facts: ``leader`` (at the start), ``events`` (what was done, when), ``acked``,
        ``lost`` (``[(msg_id, offset)]``), ``duplicated`` (ids appended at two offsets),
        ``window`` (produced, acknowledged) of the availability window, ``new_leader``,
        ``log``.

    Example:
        >>> run_story(REFERENCE[1], "leader dies", 1)["lost"]
        []
    """
    a = settings(answer)
    rng = random.Random(f"lab09-{story}-{seed}")
    log = KafkaLog(brokers=3, seed=seed, unclean_leader_election=a["unclean_leader_election"])
    log.create_topic("orders", replication_factor=a["replication_factor"],
                     min_insync_replicas=a["min_insync_replicas"])
    leader = log.leader("orders", 0)
    # f2, the first to go, is one of the leader's followers when it has any (a broker holding
    # no replica of the partition dying would test nothing); f1 is the other broker
    followers = [b for b in log.replicas("orders", 0) if b != leader]
    rest = [b for b in log.brokers if b != leader]
    f2 = followers[-1] if followers else rest[-1]
    others = [b for b in rest if b != f2] + [f2]
    shop = log.producer("shop", near=leader)
    events: list = []

    def at(t, what, fn, *args):
        def act():
            events.append((log.now, what))
            fn(*args)
        log.world.sim.schedule_at(t, act)

    if story == STORIES[0]:
        t = rng.randint(150, 350)
        at(t, f"leader {leader} dies for good", log.crash, leader)
        stop, window = t + 200, None
    elif story == STORIES[1]:
        f1, f2 = others
        t2 = rng.randint(300, 400)
        at(100, f"{f2} dies for good", log.crash, f2)
        at(t2, f"{leader} and {f1} cut off from each other ({f1} falls behind)",
           lambda: (log.cut(leader, f1), log.cut(f1, leader)))
        at(t2 + 450, f"leader {leader} dies for good", log.crash, leader)
        at(t2 + 460, "the network heals", log.heal)
        # the controller fences the dead leader after its session timeout (90 ms); only then
        # is the partition offline, and the operator's unclean election has work to do
        at(t2 + 600, "the operator runs an unclean election", log.elect_leaders)
        stop, window = t2 + 700, (250, t2 - 40)
    elif story == STORIES[3]:
        t = rng.randint(120, 200)
        at(t, f"replies from leader {leader} to the shop lost", log.cut, leader, "shop")
        at(t + 150, "the network heals", log.heal)
        at(t + 700, f"leader {leader} dies for good", log.crash, leader)
        stop, window = t + 900, None
    else:
        f1, f2 = others
        t4 = rng.randint(450, 550)
        at(100, f"{f2} crashes", log.crash, f2)
        at(250, f"{f1} dies for good", log.crash, f1)
        at(350, f"leader {leader} dies for good", log.crash, leader)
        at(t4, f"{f2} (behind) restarts, the only broker up", log.restart, f2)
        stop, window = t4 + 500, (t4 + 150, t4 + 500)
    for t in range(50, stop, GAP_MS):
        log.world.sim.schedule_at(t, lambda: shop.produce_async(
            "orders", 1, acks=a["acks"], retries=RETRIES, idempotent=a["enable_idempotence"]))
    log.run(until=stop + 700)
    reader = log.consumer("auditor", "audit", "orders", near=log.leader("orders", 0) or "b1")
    log.run_for(100)
    for _ in range(8):
        reader.poll()
        reader.commit()
    lost_ids = set(check_lost(log.history, "orders", "audit").details["lost"])
    dup = check_duplicated(log.history, "orders", "audit").details["appended_twice"]
    acked = acknowledged(log.history, "orders")
    lost = sorted(((m[0], m[4]) for m in acked if m[0] in lost_ids),
                  key=lambda x: int(x[0].split("-")[1]))
    produced = [op for op in log.history if op.op == "produce" and window is not None
                and window[0] <= op.invoke_ms < window[1]]
    return {"leader": leader, "events": events, "acked": len(acked), "lost": lost,
            "window": (len(produced), sum(op.outcome == "ok" for op in produced)),
            "duplicated": sorted(dup, key=lambda m: int(m.split("-")[1])),
            "new_leader": log.leader("orders", 0), "log": log, "settings": a}


def _story(run) -> str:
    return "; ".join(f"{what} at {t} ms" for t, what in run["events"])


def _lost_text(run) -> str:
    lost = run["lost"]
    offsets = [o for _, o in lost if o is not None]
    where = (f"offset {offsets[0]}" if len(offsets) == 1 else
             f"offsets {offsets[0]}..{offsets[-1]}" if offsets else "no offset (acks=0)")
    return (f"{len(lost)} acknowledged order(s) lost ({lost[0][0]}, {where}); the partition's "
            f"leader at the end: {run['new_leader'] or 'none (offline)'}")


def _why_lost(a, run) -> str:
    if a["acks"] == 0:
        return ("acks=0: the shop counted each order as written without waiting for any "
                "broker to have it")
    if a["acks"] != "all":
        return (f"acks={a['acks']}: the leader acknowledged before its followers copied the "
                f"orders")
    if a["replication_factor"] == 1:
        return "replication_factor=1: the only copy died with its broker"
    if a["min_insync_replicas"] == 1:
        return ("min_insync_replicas=1: once its followers fell out of the ISR, the leader "
                "acknowledged orders it alone held")
    return "acknowledged orders were on a broker that died"


def _replay(question: int, seed: int) -> str:
    """The call that runs the failing story again, with the skeleton's answer name (question
    n runs ``STORIES[n - 1]``); named once in the message."""
    return f"lab09.run_story(answer_q{question}, lab09.STORIES[{question - 1}], seed={seed})"


def _grade_durable(answer, story: int) -> str:
    a = settings(answer)
    total = 0
    for seed in SEEDS:
        run = run_story(a, STORIES[story - 1], seed)
        if story == 2:
            produced, ok = run["window"]
            if ok < 0.9 * produced:
                raise Incorrect(f"{_story(run)}: with one broker down only {ok} of {produced} "
                                f"orders were acknowledged (min_insync_replicas="
                                f"{a['min_insync_replicas']} with "
                                f"{a['replication_factor'] - 1} replica(s) left?): not writable",
                                seed=seed, replay=_replay(story, seed))
        if run["acked"] == 0:
            raise Incorrect(f"{_story(run)}: no order was ever acknowledged", seed=seed,
                            replay=_replay(story, seed))
        if run["lost"]:
            raise Incorrect(f"{_story(run)}: {_why_lost(a, run)}: {_lost_text(run)}",
                            seed=seed, replay=_replay(story, seed))
        total += run["acked"]
    return f"no acknowledged order lost: {total} acknowledged over {len(SEEDS)} seeds"


def _grade_available(answer) -> str:
    a = settings(answer)
    lost = 0
    for seed in SEEDS:
        run = run_story(a, STORIES[2], seed)
        produced, ok = run["window"]
        if ok < 0.8 * produced:
            why = ("unclean_leader_election=False: the partition waits for an in-sync "
                   "replica that never returns" if not a["unclean_leader_election"] else
                   f"acks='all' with min_insync_replicas={a['min_insync_replicas']}: one "
                   "in-sync replica is not enough" if a["min_insync_replicas"] > 1
                   and a["acks"] == "all" else
                   f"replication_factor={a['replication_factor']}: the broker left holds no "
                   "replica")
            raise Incorrect(f"{_story(run)}: only {ok} of {produced} orders acknowledged "
                            f"afterwards; {why}", seed=seed,
                            replay=_replay(3, seed))
        lost += len(run["lost"])
    return (f"writable with one stale broker left, every seed; the price: {lost} acknowledged "
            f"orders lost over {len(SEEDS)} seeds")


def _grade_exactly_once(answer) -> str:
    a = settings(answer)
    total = 0
    for seed in SEEDS:
        run = run_story(a, STORIES[3], seed)
        if run["duplicated"]:
            first = run["duplicated"][0]
            offsets = [r[1] for r in _offsets(run, first)]
            why = ("enable_idempotence=False: a retry carries no producer id and sequence "
                   "number, so the leader appends it again"
                   if answer.get("enable_idempotence") is False else
                   f"acks={a['acks']} turns Kafka's default idempotence off (it needs "
                   f"acks='all')")
            raise Incorrect(f"{_story(run)}: {why}: {len(run['duplicated'])} order(s) in the "
                            f"log twice ({first} at offsets {offsets})", seed=seed,
                            replay=_replay(4, seed))
        if run["acked"] == 0:
            raise Incorrect(f"{_story(run)}: no order was ever acknowledged", seed=seed,
                            replay=_replay(4, seed))
        if run["lost"]:
            raise Incorrect(f"{_story(run)}: {_why_lost(a, run)}: {_lost_text(run)}",
                            seed=seed, replay=_replay(4, seed))
        total += run["acked"]
    return (f"every order once: {total} acknowledged over {len(SEEDS)} seeds, no duplicate "
            f"from a retry, none lost")


def _offsets(run, msg_id) -> list:
    log = run["log"]
    return [(p, i) for p in range(log.topic_options("orders")["partitions"])
            for i, m in enumerate(log.log_of(log.leader("orders", p) or "b1", "orders", p))
            if m == msg_id]


_SOLUTION = "answer_q{n} = {answer!r}"

q1 = TieredExercise(
    "Lab 9, question 1: survive the leader's death", answer_name="answer_q1",
    grader=lambda a: _grade_durable(a, 1),
    hints=("When does the leader say 'ok'? Before or after its followers have a copy?",
           "acks=1 acknowledges on the leader's write alone; a new leader from the ISR never "
           "had what the old one did not send. And one replica dies with its broker.",
           "acks='all' and a replication factor of at least 2 (3 is usual)."),
    solution=_SOLUTION.format(n=1, answer=REFERENCE[1]), reference=REFERENCE[1])

q2 = TieredExercise(
    "Lab 9, question 2: writable with a broker down, and durable", answer_name="answer_q2",
    grader=lambda a: _grade_durable(a, 2),
    hints=("acks='all' waits for the in-sync replicas only: how many are left when the "
           "followers fall behind?",
           "min_insync_replicas says how many in-sync replicas acks='all' needs; with fewer the "
           "leader refuses (NotEnoughReplicas). Too high, and one broker down stops writes.",
           "replication_factor=3, min_insync_replicas=2, acks='all' (Kafka's own typical "
           "scenario)."),
    solution=_SOLUTION.format(n=2, answer=REFERENCE[2]), reference=REFERENCE[2])

q3 = TieredExercise(
    "Lab 9, question 3: availability first", answer_name="answer_q3",
    grader=_grade_available,
    hints=("The broker left was not in the ISR. Who may lead then?",
           "unclean_leader_election lets an out-of-sync replica lead (and lose what it "
           "lacks); min_insync_replicas must then allow one replica.",
           "replication_factor=3, min_insync_replicas=1, unclean_leader_election=True (acks "
           "as you like)."),
    solution=_SOLUTION.format(n=3, answer=REFERENCE[3]), reference=REFERENCE[3])

q4 = TieredExercise(
    "Lab 9, question 4: every order exactly once in the log", answer_name="answer_q4",
    grader=_grade_exactly_once,
    hints=("The shop's order reached the leader, but the reply did not: the shop sends it "
           "again. How can the leader tell a retry from a new order?",
           "enable_idempotence gives the producer an id and numbers its batches, so the leader "
           "appends a retried batch once (KIP-98). Kafka turns it on by default only with "
           "acks='all', and refuses it with acks 0 or 1.",
           "acks='all', replication_factor=3, min_insync_replicas=2, enable_idempotence=True "
           "(or left to Kafka's default)."),
    solution=_SOLUTION.format(n=4, answer=REFERENCE[4]), reference=REFERENCE[4])
