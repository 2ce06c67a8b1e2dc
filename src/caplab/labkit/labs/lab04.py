"""Lab 4 (read repair): write the read-repair step of the ring and prove it converges replicas.

The student writes ``repair(key, replies) -> {node: version}`` (see
:mod:`caplab.kv.ap.repair_hook`): after a read has heard from the replicas, which replicas get
which version. The grader plugs it into ``Cluster(mode="ap", read_repair="async",
read_repair_fn=...)`` with hinted handoff and anti-entropy *off*, writes at consistency ONE
under random partitions (so replicas miss writes), heals, reads every key twice, and checks with
:func:`caplab.check.check_convergence` that the replicas of every key agree on the newest
acknowledged value: only read repair can have fixed them.

The read repair modelled is Dynamo's (section 5), like the background repair Cassandra before
4.0 added with ``read_repair_chance`` = 1: every read asks every live replica, the client gets
its answer after R replies, and the repair follows in the background. (Cassandra's blocking,
foreground read repair asks only the replicas the consistency level needs, so a read at ONE
would compare nothing.)
"""

from __future__ import annotations

from ...check import check_convergence
from ...kv import Cluster
from ...kv.workload import Workload
from ..exercise import Exercise
from ._common import SEEDS, Incorrect, skeleton_is_not_attempted, random_partitions, require_function, source_of

__all__ = ["q1", "q2", "run_repair_scenario", "reference_repair", "reference_minimal_repair"]

KEYS = [f"k{i}" for i in range(1, 9)]


def reference_repair(key, replies):
    """Send the newest version (largest ``version``) to every replica that answered."""
    newest = max((r.version for r in replies if r.version is not None), default=None)
    if newest is None:
        return {}
    return {r.node: newest for r in replies}


def reference_minimal_repair(key, replies):
    """Send the newest version only to the replicas that answered with something older."""
    newest = max((r.version for r in replies if r.version is not None), default=None)
    if newest is None:
        return {}
    return {r.node: newest for r in replies if r.version != newest}


def run_repair_scenario(repair, seed: int, *, nodes: int = 5, duration_ms: int = 4000) -> dict:
    """Write under random partitions, heal, read every key twice; return the facts.

    Returns:
        a dict: ``cluster``, ``heal_ms``, ``convergence`` (key -> ConvergenceResult over the
        key's replicas), ``calls`` (list of ``(key, replies, plan)`` the function was asked and
        answered), ``diverged`` (keys whose replicas still disagree).
    """
    calls = []

    def recorded(key, replies):
        plan = repair(key, replies)
        calls.append((key, tuple(replies), plan))
        return plan

    c = Cluster(mode="ap", nodes=nodes, seed=seed, hinted_handoff=False, anti_entropy_ms=None,
                write_consistency="one", read_consistency="one", read_repair="async",
                read_repair_fn=recorded)
    heal_ms = 100 + duration_ms      # the nemesis heals here
    # One coordinator's clock runs ahead: last-write-wins order is not real-time order.
    rng = c.sim.rng("lab04.skew")
    c.skew_clock(c.nodes[rng.randrange(nodes)], offset_ms=rng.randint(50, 400))
    random_partitions(c, start_ms=100, duration_ms=duration_ms, stream="lab04.partitions",
                      gap_ms=(300, 900))
    Workload(c, clients=nodes, keys=KEYS, read_fraction=0.0, mean_think_ms=25).run(
        duration_ms=duration_ms)
    c.run(until=max(c.now, heal_ms))
    c.run_for(800)                   # failure detectors see every node up again
    c.watch(50)
    reader = c.client("grader", near=c.nodes[0])
    for _ in range(2):
        for key in KEYS:
            reader.get(key)
    c.run_for(500)
    snaps = c.snapshots_frame()
    convergence = {}
    for key in KEYS:
        replicas = c.replicas_for(key)
        rows = snaps[(snaps["key"] == key) & snaps["node"].isin(replicas)]
        convergence[key] = check_convergence(rows, heal_ms=heal_ms, nodes=replicas)
    diverged = [k for k, r in convergence.items() if not r.ok]
    return {"cluster": c, "heal_ms": heal_ms, "convergence": convergence, "calls": calls,
            "diverged": diverged}


def _describe_key(c, key) -> str:
    held = {r["node"]: r["value"] for r in c.replica_records() if r["key"] == key}
    return ", ".join(f"{n}={held.get(n)!r}" for n in c.replicas_for(key))


def _grade(repair, *, minimal: bool) -> str:
    require_function(repair, "a function repair(key, replies) -> {node: version}", 2)
    repairs = needed = 0
    for seed in SEEDS[:6]:
        facts = run_repair_scenario(repair, seed)
        c = facts["cluster"]
        if facts["diverged"]:
            key = facts["diverged"][0]
            raise Incorrect(f"after the heal and two reads of every key, the replicas of {key!r} "
                            f"still disagree ({_describe_key(c, key)}); with hints and "
                            f"anti-entropy off, only your read repair can fix them",
                            seed=seed)
        for key, replies, plan in facts["calls"]:
            plan = dict(plan or {})
            newest = max((r.version for r in replies if r.version is not None), default=None)
            stale = {r.node for r in replies if r.version != newest}
            repairs += len(plan)
            needed += len(stale)
            if minimal:
                extra = sorted(n for n in plan if n not in stale)
                if extra:
                    raise Incorrect(f"a read of {key!r} sent a repair to {', '.join(extra)}, "
                                    f"which already held the newest version: that is a wasted "
                                    f"message per replica on every read", seed=seed)
    return (f"replicas converged after the heal in {min(6, len(SEEDS))} seeded runs; "
            f"{repairs} repair messages sent where {needed} replicas were stale.")


q1 = Exercise(
    "Lab 4, question 1: read repair that converges",
    answer_name="repair",
    grader=skeleton_is_not_attempted(lambda fn: _grade(fn, minimal=False)),
    hint=("Find the newest version among the replies (versions compare like tuples: use max(), "
          "skipping replies whose version is None), then send it to the replicas that need it."),
    solution=source_of(reference_repair, name="repair"),
    reference=reference_repair,
)

q2 = Exercise(
    "Lab 4, question 2: read repair without wasted messages",
    answer_name="minimal_repair",
    grader=skeleton_is_not_attempted(lambda fn: _grade(fn, minimal=True)),
    hint=("Same newest version as in question 1, but only for the replies whose version differs "
          "from it (a replica with no value has version None, which differs too)."),
    solution=source_of(reference_minimal_repair, name="minimal_repair"),
    reference=reference_minimal_repair,
)
