"""Lab 1 (quorums): choose N, R, W (and a write concern) for stated requirements.

Each answer is a small dict. The grader builds the cluster the answer describes, runs a seeded
workload under the faults the requirement names, and judges with :mod:`caplab.check` (stale
reads) and the history (operations refused as unavailable) or the rollback record (acknowledged
writes lost):

* q1: ring of 5 nodes: reads always see the latest acknowledged write, and reads and writes keep
  working, while any one node is down (``{"N", "R", "W"}``).
* q2: ring of 5 nodes, hinted handoff off: writes keep working with two nodes down; once every
  node is back, reads see the latest acknowledged write (``{"N", "R", "W"}``).
* q3: replica set of 5: the smallest write concern with which no acknowledged write is ever
  rolled back when the network partitions, and writes still succeed with two members down
  (``{"w": ...}``).
"""

from __future__ import annotations

from ...check import check_stale_reads
from ...kv import Cluster
from ...kv.workload import Workload
from ...net.latency import Exponential
from ..exercise import Exercise
from ._common import SEEDS, Incorrect, random_partitions, require_attempt

__all__ = ["q1", "q2", "q3", "run_one_down", "run_two_down", "run_write_concern"]

NODES = 5
# the reference answers: private, so that they do not show in tab-completion (lab01.<Tab>);
# each exercise keeps its own as q.reference for the tests
_REFERENCE_Q1 = {"N": 3, "R": 2, "W": 2}
_REFERENCE_Q2 = {"N": 3, "R": 3, "W": 1}
_REFERENCE_Q3 = {"w": "majority"}


def _nrw(answer) -> tuple[int, int, int]:
    require_attempt(answer, 'a dict like {"N": 3, "R": 1, "W": 1}')
    if not isinstance(answer, dict) or set(answer) != {"N", "R", "W"}:
        raise Incorrect(f'answer with a dict with keys "N", "R", "W", got {answer!r}')
    n, r, w = answer["N"], answer["R"], answer["W"]
    for name, v in (("N", n), ("R", r), ("W", w)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise Incorrect(f"{name} must be a whole number >= 1, got {v!r}")
    if n > NODES:
        raise Incorrect(f"N={n}: the ring has only {NODES} nodes, so at most {NODES} copies")
    if r > n or w > n:
        raise Incorrect(f"R={r}, W={w} with N={n}: a quorum cannot exceed the number of copies")
    return n, r, w


def _ring(seed, n, r, w, **options) -> Cluster:
    return Cluster(mode="ap", nodes=NODES, seed=seed, replication_factor=n,
                   read_consistency=r, write_consistency=w, **options)


def _unavailable(c, op: str):
    return [o for o in c.history if o.op == op and o.outcome == "fail"
            and "unavailable" in (o.error or "")]


def run_one_down(answer, seed: int) -> dict:
    """q1's scenario: crash one random node at a time while clients read and write."""
    n, r, w = _nrw(answer)
    c = _ring(seed, n, r, w)
    # Replicas apply writes after a long-tailed delay (PBS's W leg): stale reads show up fast.
    c.set_leg_latency(w=Exponential(1 / 15))
    c.nemesis(duration_ms=5000, faults=("crash",), mean_gap_ms=100, fault_ms=(800, 1500),
              stream="lab01.crashes")
    Workload(c, clients=5, keys=6, read_fraction=0.5, mean_think_ms=15).run(duration_ms=5000)
    return {"cluster": c, "stale": check_stale_reads(c.history),
            "unavailable_reads": _unavailable(c, "get"),
            "unavailable_writes": _unavailable(c, "put")}


def run_two_down(answer, seed: int) -> dict:
    """q2's scenario: write every key; crash two nodes and write again; restart; read all."""
    n, r, w = _nrw(answer)
    c = _ring(seed, n, r, w, hinted_handoff=False)
    keys = [f"k{i}" for i in range(1, 13)]
    writer = c.client("writer", near="n1")
    for i, key in enumerate(keys):
        writer.put(key, f"old{i}")
    rng = c.sim.rng("lab01.victims")
    down = sorted(rng.sample(c.nodes, 2))
    writer = c.client("writer2", near=next(x for x in c.nodes if x not in down))
    for victim in down:
        c.crash(victim)
    c.run_for(600)                     # the failure detectors notice
    writes = [writer.put(key, f"new{i}") for i, key in enumerate(keys)]
    for victim in down:
        c.restart(victim)
    c.run_for(600)                     # ... and see them up again
    readers = [c.client(f"reader{i}", near=node) for i, node in enumerate(c.nodes)]
    reads = [readers[i % len(readers)].get(key) for i, key in enumerate(keys)]
    return {"cluster": c, "down": down, "failed_writes": [x for x in writes if not x.ok],
            "failed_reads": [x for x in reads if not x.ok],
            "stale": check_stale_reads(c.history)}


def _w(answer):
    require_attempt(answer, 'a dict like {"w": 1}')
    if not isinstance(answer, dict) or set(answer) != {"w"}:
        raise Incorrect(f'answer with a dict with the key "w", got {answer!r}')
    w = answer["w"]
    if not (w == "majority" or (isinstance(w, int) and not isinstance(w, bool)
                                and 1 <= w <= NODES)):
        raise Incorrect(f'w must be "majority" or a whole number 1..{NODES}, got {w!r}')
    return w


def run_write_concern(answer, seed: int, scenario: str) -> dict:
    """q3's scenarios: ``"partitions"`` (random 2|3 splits) or ``"two down"`` (two members
    crashed)."""
    w = _w(answer)
    c = Cluster(mode="cp", nodes=NODES, seed=seed, write_concern=w, wtimeout_ms=600)
    c.run_for(1500)
    if scenario == "partitions":
        random_partitions(c, start_ms=c.now, duration_ms=6000, stream="lab01.partitions",
                          gap_ms=(600, 1800), max_minority=2)
        Workload(c, clients=5, keys=3, read_fraction=0.2, mean_think_ms=20).run(duration_ms=6000)
        c.run_for(4000)
    else:
        primary = c.primary
        victims = sorted(x for x in c.nodes if x != primary)[:2]
        for victim in victims:
            c.crash(victim)
        live = [x for x in c.nodes if x not in victims]
        clients = [c.client(f"app{i}", near=x) for i, x in enumerate(live)]
        Workload(c, clients=[cl.name for cl in clients], keys=3, read_fraction=0.0,
                 mean_think_ms=20).run(ops=20)
    acked = {(o.key, o.value) for o in c.history if o.op == "put" and o.outcome == "ok"}
    return {"cluster": c, "lost": [x for x in c.rollbacks() if (x["key"], x["value"]) in acked],
            "failed_writes": [o for o in c.history if o.op == "put" and o.outcome != "ok"]}


def _grade_q1(answer) -> str:
    n, r, w = _nrw(answer)
    for seed in SEEDS[:5]:
        f = run_one_down(answer, seed)
        if f["unavailable_writes"] or f["unavailable_reads"]:
            op = (f["unavailable_writes"] or f["unavailable_reads"])[0]
            raise Incorrect(f"with one node down a {op.op} of {op.key!r} was refused: "
                            f"{op.error}", seed=seed)
        if not f["stale"].ok:
            s = f["stale"].stale[0]
            raise Incorrect(f"a read of {s.key!r} returned {s.value!r}, {s.versions_behind} "
                            f"acknowledged write(s) old: with R={r}, W={w}, N={n} a read quorum "
                            f"need not overlap a write quorum", seed=seed)
    return f"N={n}, R={r}, W={w}: no stale read and nothing refused with a node down (5 seeds)."


def _grade_q2(answer) -> str:
    n, r, w = _nrw(answer)
    for seed in SEEDS[:5]:
        f = run_two_down(answer, seed)
        if f["failed_writes"]:
            x = f["failed_writes"][0]
            raise Incorrect(f"with {' and '.join(f['down'])} down, put {x.key!r} failed: "
                            f"{x.error}", seed=seed)
        if f["failed_reads"]:
            x = f["failed_reads"][0]
            raise Incorrect(f"with every node back up, get {x.key!r} failed: {x.error}",
                            seed=seed)
        if not f["stale"].ok:
            s = f["stale"].stale[0]
            raise Incorrect(f"after the restart a read of {s.key!r} returned {s.value!r}, an "
                            f"older value: the replicas that were down missed the write (no "
                            f"hints), and R={r} replicas need not include one that has it",
                            seed=seed)
    return (f"N={n}, R={r}, W={w}: writes succeeded with two nodes down and every later read "
            f"saw them (5 seeds).")


def _grade_q3(answer) -> str:
    w = _w(answer)
    for seed in SEEDS[:5]:
        f = run_write_concern(answer, seed, "partitions")
        if f["lost"]:
            x = f["lost"][0]
            raise Incorrect(f"w={w!r}: the acknowledged write {x['key']}={x['value']!r} was "
                            f"rolled back on {x['node']} at {x['time_ms']} ms: it had reached "
                            f"fewer than a majority, and the other side elected a primary "
                            f"without it", seed=seed)
    for seed in SEEDS[:3]:
        f = run_write_concern(answer, seed, "two down")
        if f["failed_writes"]:
            x = f["failed_writes"][0]
            raise Incorrect(f"w={w!r} with two members down: a write failed ({x.error}); "
                            f"only 3 of 5 members can acknowledge", seed=seed)
    return (f"w={w!r}: no acknowledged write rolled back under random partitions, and writes "
            f"still succeed with two members down.")


q1 = Exercise(
    "Lab 1, question 1: consistent and available with one node down",
    answer_name="answer_q1", grader=_grade_q1,
    hint=("Two conditions: reads that see the latest write, and requests that still succeed "
          "with one node down. Take them one at a time.",
          "Consistency: every read quorum must overlap every write quorum (how must R + W "
          "compare with N?).",
          "Availability with one node down: R and W must still be reachable when one of the N "
          "copies is gone, so R, W <= N - 1; and R + W > N."),
    solution=f"answer_q1 = {_REFERENCE_Q1!r}   # R + W > N, and R, W <= N - 1 "
             f"(also right: N=5 with R=W=3, or N=4 with R=2, W=3)",
    reference=_REFERENCE_Q1)

q2 = Exercise(
    "Lab 1, question 2: writes survive two nodes down",
    answer_name="answer_q2", grader=_grade_q2,
    hint=("With two nodes down, how many of a key's N copies can still acknowledge a write?",
          "A key's N copies may lose two of them: W must be at most N - 2.",
          "Then choose R so that R + W > N (reads run once every node is back)."),
    solution=f"answer_q2 = {_REFERENCE_Q2!r}   # W <= N - 2 and R + W > N (N=5, W=1, R=5 too)",
    reference=_REFERENCE_Q2)

q3 = Exercise(
    "Lab 1, question 3: the write concern that survives failover",
    answer_name="answer_q3", grader=_grade_q3,
    hint=("A new primary is elected by a majority, and voters refuse a candidate staler than "
          "themselves.",
          "How many members must hold a write so that every possible majority contains one of "
          "them?",
          "Any two majorities of five share a member; and with two members down, three are "
          "left to acknowledge."),
    solution=f'answer_q3 = {_REFERENCE_Q3!r}   # {{"w": 3}} is the same for 5 members',
    reference=_REFERENCE_Q3)
