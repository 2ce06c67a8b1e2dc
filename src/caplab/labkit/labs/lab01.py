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
from ..replay import register_replay
from ..script_replay import Finding
from ._common import SEEDS, Incorrect, LastFailure, random_partitions, require_attempt

__all__ = ["q1", "q2", "q3", "run_one_down", "run_two_down",
           "run_write_concern", "replay"]

NODES = 5
#: the run the last failing check made: what ``replay(seed=N)`` redraws
_LAST = LastFailure("lab01")
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
    # The lab is about quorum arithmetic, not failure detection: the fixed 400 ms timeout
    # detector convicts a crashed node well inside q1's 0.8-1.5 s crashes, so a level that
    # needs every copy is refused as unavailable. Cassandra's phi 8 (the ring's default) needs
    # about 2 s of silence, longer than these crashes: the same requests would only time out.
    options.setdefault("failure_detector", "timeout")
    return Cluster(mode="ap", nodes=NODES, seed=seed, replication_factor=n,
                   read_consistency=r, write_consistency=w, **options)


def _unavailable(c, op: str):
    return [o for o in c.history if o.op == op and o.outcome == "fail"
            and "unavailable" in (o.error or "")]


def run_one_down(answer, seed: int, *, on_start=None) -> dict:
    """q1's scenario: crash one random node at a time while clients read and write.
    ``on_start(cluster)`` is called once the cluster is built (the replay's hook)."""
    n, r, w = _nrw(answer)
    c = _ring(seed, n, r, w)
    if on_start is not None:
        on_start(c)
    # Replicas apply writes after a long-tailed delay (PBS's W leg): stale reads show up fast.
    c.set_leg_latency(w=Exponential(1 / 15))
    c.nemesis(duration_ms=5000, faults=("crash",), mean_gap_ms=100, fault_ms=(800, 1500),
              stream="lab01.crashes")
    Workload(c, clients=5, keys=6, read_fraction=0.5, mean_think_ms=15).run(duration_ms=5000)
    return {"cluster": c, "stale": check_stale_reads(c.history),
            "unavailable_reads": _unavailable(c, "get"),
            "unavailable_writes": _unavailable(c, "put")}


def run_two_down(answer, seed: int, *, on_start=None) -> dict:
    """q2's scenario: write every key; crash two nodes and write again; restart; read all.
    ``on_start(cluster)`` is called once the cluster is built (the replay's hook)."""
    n, r, w = _nrw(answer)
    c = _ring(seed, n, r, w, hinted_handoff=False)
    if on_start is not None:
        on_start(c)
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


def run_write_concern(answer, seed: int, scenario: str, *, on_start=None) -> dict:
    """q3's scenarios: ``"partitions"`` (random 2|3 splits) or ``"two down"`` (two members
    crashed). ``on_start(cluster)`` is called once the cluster is built (the replay's hook)."""
    w = _w(answer)
    c = Cluster(mode="cp", nodes=NODES, seed=seed, write_concern=w, wtimeout_ms=600)
    if on_start is not None:
        on_start(c)
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


def _op_finding(verdict: str, op, text: str) -> Finding:
    return Finding(verdict, text, time_ms=getattr(op, "invoke_ms", None), key=op.key,
                   bad_ops=(op.id,))


def _q1_finding(f) -> Finding | None:
    refused = f["unavailable_writes"] or f["unavailable_reads"]
    if refused:
        return _op_finding("refused", refused[0], f"{refused[0].op} of {refused[0].key!r} "
                                                  f"refused: {refused[0].error}")
    if not f["stale"].ok:
        st = f["stale"].stale[0]
        return _op_finding("stale read", st, f"read of {st.key!r} returned {st.value!r}, "
                                             f"{st.versions_behind} write(s) old")
    return None


def _q2_finding(f) -> Finding | None:
    bad = f["failed_writes"] or f["failed_reads"]
    if bad:
        return Finding("failed", f"{bad[0].op} {bad[0].key!r} failed: {bad[0].error}",
                       key=bad[0].key, bad_ops=(bad[0].id,))
    if not f["stale"].ok:
        st = f["stale"].stale[0]
        return _op_finding("stale read", st, f"read of {st.key!r} returned {st.value!r}")
    return None


def _q3_finding(f) -> Finding | None:
    if f["lost"]:
        x = f["lost"][0]
        c = f["cluster"]
        ops = tuple(o.id for o in c.history if o.op == "put" and o.key == x["key"]
                    and o.value == x["value"])
        return Finding("lost write", f"acknowledged {x['key']}={x['value']!r} rolled back on "
                       f"{x['node']}", time_ms=x["time_ms"], key=x["key"], bad_ops=ops)
    if f["failed_writes"]:
        o = f["failed_writes"][0]
        return _op_finding("failed", o, f"put {o.key!r} failed: {o.error}")
    return None


def _grade_q1(answer) -> str:
    _LAST.reset()
    n, r, w = _nrw(answer)
    for seed in SEEDS[:5]:
        f = run_one_down(answer, seed)
        if f["unavailable_writes"] or f["unavailable_reads"]:
            op = (f["unavailable_writes"] or f["unavailable_reads"])[0]
            raise _LAST.incorrect(f"with one node down a {op.op} of {op.key!r} was refused: "
                                  f"{op.error}", seed, run_one_down, answer,
                                  finding=_q1_finding, question="q1")
        if not f["stale"].ok:
            s = f["stale"].stale[0]
            raise _LAST.incorrect(f"a read of {s.key!r} returned {s.value!r}, "
                                  f"{s.versions_behind} acknowledged write(s) old: with R={r}, "
                                  f"W={w}, N={n} a read quorum need not overlap a write quorum",
                                  seed, run_one_down, answer, finding=_q1_finding,
                                  question="q1")
    return f"N={n}, R={r}, W={w}: no stale read and nothing refused with a node down (5 seeds)."


def _grade_q2(answer) -> str:
    _LAST.reset()
    n, r, w = _nrw(answer)
    for seed in SEEDS[:5]:
        f = run_two_down(answer, seed)
        if f["failed_writes"]:
            x = f["failed_writes"][0]
            raise _LAST.incorrect(f"with {' and '.join(f['down'])} down, put {x.key!r} "
                                  f"failed: {x.error}", seed, run_two_down, answer,
                                  finding=_q2_finding, question="q2")
        if f["failed_reads"]:
            x = f["failed_reads"][0]
            raise _LAST.incorrect(f"with every node back up, get {x.key!r} failed: "
                                  f"{x.error}", seed, run_two_down, answer,
                                  finding=_q2_finding, question="q2")
        if not f["stale"].ok:
            s = f["stale"].stale[0]
            raise _LAST.incorrect(f"after the restart a read of {s.key!r} returned "
                                  f"{s.value!r}, an older value: the replicas that were down "
                                  f"missed the write (no hints), and R={r} replicas need not "
                                  f"include one that has it", seed, run_two_down, answer,
                                  finding=_q2_finding, question="q2")
    return (f"N={n}, R={r}, W={w}: writes succeeded with two nodes down and every later read "
            f"saw them (5 seeds).")


def _grade_q3(answer) -> str:
    _LAST.reset()
    w = _w(answer)
    for seed in SEEDS[:5]:
        f = run_write_concern(answer, seed, "partitions")
        if f["lost"]:
            x = f["lost"][0]
            raise _LAST.incorrect(f"w={w!r}: the acknowledged write {x['key']}="
                                  f"{x['value']!r} was rolled back on {x['node']} at "
                                  f"{x['time_ms']} ms: it had reached fewer than a majority, "
                                  f"and the other side elected a primary without it", seed,
                                  run_write_concern, answer, "partitions",
                                  finding=_q3_finding, question="q3")
    for seed in SEEDS[:3]:
        f = run_write_concern(answer, seed, "two down")
        if f["failed_writes"]:
            x = f["failed_writes"][0]
            raise _LAST.incorrect(f"w={w!r} with two members down: a write failed "
                                  f"({x.error}); only 3 of 5 members can acknowledge", seed,
                                  run_write_concern, answer, "two down",
                                  finding=_q3_finding, question="q3")
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


# -- replay ---------------------------------------------------------------------------------------
def replay(seed: int, answer=None):
    """Run the last failing check's scenario again with ``seed`` and draw it.

    Args:
        seed: the seed an Incorrect outcome named (``replay: lab01.replay(seed=N)``).
        answer: the answer to run; default the one that failed.

    Returns:
        a :class:`~caplab.labkit.script_replay.ScriptedReplay`: ``.figures()`` (timeline with
        the failing operation highlighted, message sequence, cluster graph), ``.steps``
        (``.step()``, ``.back()``, ``.state()``, ``.text()``), ``.explain()``.

    Raises:
        ConfigError: no check has failed in a simulated run yet.

    Example:
        >>> lab01.q1.check({"N": 3, "R": 1, "W": 1})        # doctest: +SKIP
        >>> rp = lab01.replay(seed=1); rp.figures()          # doctest: +SKIP
    """
    return _LAST.replay(seed, answer)


for _q in (q1, q2, q3):
    register_replay(_q.name, lambda seed: replay(seed))
