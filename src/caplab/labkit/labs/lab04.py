"""Lab 4 (read repair): write the read-repair step of the ring and prove it converges replicas.

The student writes ``repair(key, replies) -> {node: version}`` (see
:mod:`caplab.kv.ap.repair_hook`): after a read has heard from the replicas, which replicas get
which version. The grader plugs it into ``Cluster(mode="ap", read_repair="async",
read_repair_fn=...)`` with hinted handoff and anti-entropy *off*, writes at consistency ONE
under random partitions (so replicas miss writes), heals, writes one more key while one of its
replicas is cut off (so that replica holds nothing: its reply has version ``None``), reads every
key twice plus a key nobody wrote (every reply ``None``: nothing to repair), and checks with
:func:`caplab.check.check_convergence` that the replicas of every key agree on the newest
acknowledged value: only read repair can have fixed them.

Every answer the function gives is validated before the simulator applies it (the nodes must be
replicas that answered, the versions must be the replies' versions), so a wrong shape is
reported as such. A function that survives the runs is then asked a few fixed replies directly
(:data:`PROBES`), as lab 3 asks fixed ballots.

The read repair modelled is Dynamo's (section 5), like the background repair Cassandra before
4.0 added with ``read_repair_chance`` = 1: every read asks every live replica, the client gets
its answer after R replies, and the repair follows in the background. (Cassandra's blocking,
foreground read repair asks only the replicas the consistency level needs, so a read at ONE
would compare nothing.)
"""

from __future__ import annotations

from ...check import check_convergence
from ...kv import Cluster
from ...kv.ap.repair_hook import Reply
from ...kv.workload import Workload
from ..exercise import Exercise
from ...kv.ap.versions import Version, lww_key
from ...kv.probes import holders
from ..replay import register_replay
from ..script_replay import Finding
from ._common import (SEEDS, Incorrect, LastFailure, random_partitions, require_function,
                      skeleton_is_not_attempted, source_of)
from ...frames import snapshots_frame

__all__ = ["q1", "q2", "run_repair_scenario", "PROBES", "probe_repair", "validate_plan", "Reply",
           "replay"]

KEYS = [f"k{i}" for i in range(1, 9)]
#: the runs the last failing checks made, per question (False: q1, True: q2, the minimal one)
_LAST = {False: LastFailure("lab04"), True: LastFailure("lab04")}
_LAST_QUESTION = [False]
#: written once after the heal while one of its replicas is cut off: that replica holds nothing
PARTIAL_KEY = "k9"
#: read but never written: no replica holds it, every reply's version is None
UNWRITTEN_KEY = "k0"


def _reference_repair(key, replies):
    """Send the newest version (largest ``version``) to every replica that answered."""
    newest = max((r.version for r in replies if r.version is not None), default=None)
    if newest is None:
        return {}
    return {r.node: newest for r in replies}


def _reference_minimal_repair(key, replies):
    """Send the newest version only to the replicas that answered with something older."""
    newest = max((r.version for r in replies if r.version is not None), default=None)
    if newest is None:
        return {}
    return {r.node: newest for r in replies if r.version != newest}


def _replies_text(replies) -> str:
    return "[" + ", ".join(repr(r) for r in replies) + "]"


def validate_plan(key, replies, plan) -> dict:
    """Check what a repair function returned for one read and return it as ``{node: version}``.

    ``None``, ``{}`` or an empty list mean no repair. Otherwise a dict ``{node: version}`` (or
    ``(node, version)`` pairs) whose nodes are replicas that answered (``reply.node``) and whose
    versions are versions they reported (``reply.version``, never ``None``).

    Raises:
        Incorrect: naming the bad entry and what is allowed (without a seed: the caller adds it).
    """
    nodes = [r.node for r in replies]
    versions = []
    for r in replies:
        if r.version is not None and r.version not in versions:
            versions.append(r.version)
    where = f"for a read of {key!r} with replies {_replies_text(replies)}"
    if plan is None:
        return {}
    if isinstance(plan, dict):
        pairs = list(plan.items())
    else:
        try:
            pairs = [tuple(p) if isinstance(p, (tuple, list)) else None for p in plan]
        except TypeError:
            pairs = None
        if pairs is None or not all(p is not None and len(p) == 2 for p in pairs):
            raise Incorrect(f"{where}, your function returned {plan!r}: return a dict "
                            f"{{node: version}} ({{}} or None for no repair)")
    out = {}
    allowed_versions = (", ".join(repr(v) for v in versions)
                        or "none: no replica holds the key, so return {}")
    for node, version in pairs:
        if node not in nodes:
            raise Incorrect(f"{where}, your function returned the entry {node!r}: {version!r}; "
                            f"{node!r} is not a replica that answered; the keys must be replies' "
                            f"nodes (reply.node): {', '.join(map(repr, nodes))}")
        as_tuple = tuple(version) if isinstance(version, (tuple, list)) else version
        if as_tuple is None or as_tuple not in versions:
            what = ("None means 'holds nothing', which cannot be sent" if version is None else
                    "it looks like a value (reply.value), not a version" if any(
                        version == r.value for r in replies) else
                    "no replica reported it")
            raise Incorrect(f"{where}, your function returned the entry {node!r}: {version!r}; "
                            f"{what}. The values must be versions from the replies "
                            f"(reply.version): {allowed_versions}")
        out[node] = as_tuple
    return out


def _raised(key, replies, exc) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if all(r.version is None for r in replies):
        return (f"a read of {key!r}, a key no replica holds (every reply's version is None: "
                f"{_replies_text(replies)}), made your function raise {text}. There is "
                f"nothing to repair then: return {{}} (max() of an empty sequence raises; "
                f"max(..., default=None) does not)")
    return (f"your function raised {text} for a read of {key!r} with replies "
            f"{_replies_text(replies)}")


def run_repair_scenario(repair, seed: int, *, nodes: int = 5, duration_ms: int = 4000,
                        on_start=None) -> dict:
    """Write under random partitions, heal, write :data:`PARTIAL_KEY` while one of its replicas
    is cut off, then read every key twice (and :data:`UNWRITTEN_KEY`); return the facts.
    ``on_start(cluster)`` is called once the cluster is built (the replay's hook).

    Every answer of ``repair`` is checked with :func:`validate_plan` before the simulator
    applies it; an exception it raises, or a bad answer, is raised as
    :class:`~caplab.labkit.Incorrect` with the seed.

    Returns:
        a dict: ``cluster``, ``heal_ms``, ``convergence`` (key -> ConvergenceResult over the
        key's replicas), ``calls`` (list of ``(key, replies, plan)`` the function was asked and
        answered), ``diverged`` (keys whose replicas still disagree), ``empty_replica`` (the
        replica of :data:`PARTIAL_KEY` that missed its write), ``partial_write`` (that write's
        Result), ``empty_replies`` (how many replies the function saw with version None).
    """
    calls = []

    def recorded(key, replies):
        replies = list(replies)
        try:
            plan = repair(key, list(replies))
        except NotImplementedError:
            raise
        except Exception as exc:
            raise Incorrect(_raised(key, replies, exc), seed=seed) from None
        try:
            plan = validate_plan(key, replies, plan)
        except Incorrect as exc:
            raise Incorrect(exc.reason, seed=seed) from None
        calls.append((key, tuple(replies), plan))
        return plan

    c = Cluster(mode="ap", nodes=nodes, seed=seed, hinted_handoff=False, anti_entropy_ms=None,
                write_consistency="one", read_consistency="one", read_repair="async",
                read_repair_fn=recorded)
    if on_start is not None:
        on_start(c)
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
    # One replica of PARTIAL_KEY never receives it (no hints, no anti-entropy): it holds
    # nothing, and its replies to the reads below have version None.
    replicas = c.replicas_for(PARTIAL_KEY)
    empty = replicas[c.sim.rng("lab04.empty").randrange(len(replicas))]
    c.isolate(empty)
    writer = c.client("grader-writer", near=next(n for n in c.nodes if n != empty))
    partial_write = writer.put(PARTIAL_KEY, "partial")
    c.run_for(100)
    c.heal()
    c.run_for(800)
    c.watch(50)
    reader = c.client("grader", near=c.nodes[0])
    for _ in range(2):
        for key in KEYS + [PARTIAL_KEY, UNWRITTEN_KEY]:
            reader.get(key)
    c.run_for(500)
    snaps = snapshots_frame(c)
    convergence = {}
    for key in KEYS + [PARTIAL_KEY]:
        replicas = c.replicas_for(key)
        rows = snaps[(snaps["key"] == key) & snaps["node"].isin(replicas)]
        convergence[key] = check_convergence(rows, heal_ms=heal_ms, nodes=replicas)
    diverged = [k for k, r in convergence.items() if not r.ok]
    return {"cluster": c, "heal_ms": heal_ms, "convergence": convergence, "calls": calls,
            "diverged": diverged, "empty_replica": empty, "partial_write": partial_write,
            "empty_replies": sum(r.version is None for _, replies, _ in calls for r in replies)}


def _describe_key(c, key) -> str:
    held = holders(c, key)
    return ", ".join(f"{n}={held[n]!r}" if n in held else f"{n} holds nothing"
                     for n in c.replicas_for(key))


def _v(ts, value, origin):
    """A version as the ring reports it (:func:`caplab.kv.ap.versions.lww_key`)."""
    return lww_key(Version(value, ts, (), origin))


#: Fixed replies the function is asked directly after the simulated runs:
#: (the situation, key, replies, the newest version (None: nothing to repair)).
PROBES = (
    ("one replica (n2) holds nothing for 'cart' (its version is None), n3 holds an older "
     "version than n1",
     "cart", (Reply("n1", _v(200, "tea", "n1"), "tea"), Reply("n2", None, None),
              Reply("n3", _v(100, "milk", "n3"), "milk")),
     _v(200, "tea", "n1")),
    ("no replica holds 'ghost' (every version is None)",
     "ghost", (Reply("n1", None, None), Reply("n2", None, None), Reply("n3", None, None)),
     None),
    ("every replica holds the same version of 'x'",
     "x", (Reply("n1", _v(50, 7, "n2"), 7), Reply("n2", _v(50, 7, "n2"), 7),
           Reply("n3", _v(50, 7, "n2"), 7)),
     _v(50, 7, "n2")),
    ("n1's version of 'x' is newer (timestamp 300) but its value is smaller than n2's "
     "(timestamp 200)",
     "x", (Reply("n1", _v(300, "apple", "n3"), "apple"),
           Reply("n2", _v(200, "zebra", "n1"), "zebra")),
     _v(300, "apple", "n3")),
)


def probe_repair(repair, *, minimal: bool) -> None:
    """Ask ``repair`` the fixed :data:`PROBES` replies; raise :class:`Incorrect` (no seed: no
    simulation is involved) at the first wrong answer, in plain words."""
    for situation, key, replies, newest in PROBES:
        replay = (f"(Replay: from caplab.labkit.labs.lab04 import Reply; "
                  f"{getattr(repair, '__name__', 'repair')}({key!r}, {_replies_text(replies)}))")
        asked = f"the simulated runs passed, but asked directly: {situation}."
        try:
            plan = repair(key, list(replies))
        except NotImplementedError:
            raise
        except Exception as exc:
            text = _raised(key, replies, exc)
            raise Incorrect(f"{asked} {text[0].upper()}{text[1:]}. {replay}") from None
        try:
            plan = validate_plan(key, replies, plan)
        except Incorrect as exc:
            raise Incorrect(f"{asked} {exc.reason[0].upper()}{exc.reason[1:]}. {replay}") from None
        stale = sorted(r.node for r in replies if r.version != newest) if newest else []
        missing = [n for n in stale if plan.get(n) != newest]
        wrong = sorted(n for n, v in plan.items() if v != newest)
        extra = sorted(n for n in plan if n not in stale)
        why = None
        if missing:
            empty = [n for n in missing if next(r for r in replies if r.node == n).version is None]
            why = (f"{', '.join(missing)} must get the newest version {newest!r}"
                   + (f" ({', '.join(empty)} holds nothing: version None differs from the "
                      f"newest, so it needs the repair too)" if empty else ""))
        elif wrong:
            why = (f"{', '.join(wrong)} would be sent {plan[wrong[0]]!r}, not the newest version "
                   f"{newest!r}" if newest else "there is nothing to repair: return {}")
        elif minimal and extra:
            why = (f"{', '.join(extra)} already held the newest version: that is a wasted "
                   f"message per replica on every read")
        if why:
            raise Incorrect(f"the simulated runs passed, but asked directly: {situation}. Your "
                            f"function returned {plan!r}; {why}. {replay}")


def _finding(facts, *, minimal: bool = False) -> Finding | None:
    """The key whose replicas still disagree (the grader's reads of it highlighted), or the
    first read whose repair went to a replica that already held the newest version."""
    c = facts["cluster"]

    def reads(key):
        return tuple(o.id for o in c.history if o.client == "grader" and o.key == key)
    if facts["diverged"]:
        key = facts["diverged"][0]
        ops = reads(key)
        first = next((o for o in c.history if o.id in ops), None)
        return Finding("diverged", f"the replicas of {key!r} still disagree after the reads",
                       time_ms=first.invoke_ms if first else None, key=key, bad_ops=ops)
    for key, replies, plan in facts["calls"] if minimal else ():
        newest = max((r.version for r in replies if r.version is not None), default=None)
        extra = sorted(n for n in plan if all(r.version == newest for r in replies
                                              if r.node == n))
        if extra:
            ops = reads(key)
            first = next((o for o in c.history if o.id in ops), None)
            return Finding("wasted repair", f"a read of {key!r} repaired {', '.join(extra)}, "
                           f"which held the newest version", key=key, bad_ops=ops,
                           time_ms=first.invoke_ms if first else None)
    return None


def _grade(repair, *, minimal: bool) -> str:
    require_function(repair, "a function repair(key, replies) -> {node: version}", 2)
    _LAST_QUESTION[0] = minimal
    _LAST[minimal].reset()
    repairs = needed = empty = 0
    for seed in SEEDS[:6]:
        facts = run_repair_scenario(repair, seed)
        c = facts["cluster"]
        empty += facts["empty_replies"]
        if facts["diverged"]:
            key = facts["diverged"][0]
            hint = (f" {facts['empty_replica']} never received {key!r}, so its reply had "
                    f"version None: it needs the newest version too." if key == PARTIAL_KEY
                    else "")
            raise _LAST[minimal].incorrect(
                f"after the heal and two reads of every key, the replicas of {key!r} still "
                f"disagree: {_describe_key(c, key)}.{hint} With hints and anti-entropy off, "
                f"only your read repair can fix them", seed, run_repair_scenario, repair,
                finding=_finding, question="q2" if minimal else "q1")
        for key, replies, plan in facts["calls"]:
            newest = max((r.version for r in replies if r.version is not None), default=None)
            stale = {r.node for r in replies if r.version != newest}
            repairs += len(plan)
            needed += len(stale)
            if minimal:
                extra = sorted(n for n in plan if n not in stale)
                if extra:
                    raise _LAST[minimal].incorrect(
                        f"a read of {key!r} sent a repair to {', '.join(extra)}, which already "
                        f"held the newest version: that is a wasted message per replica on "
                        f"every read", seed, run_repair_scenario, repair,
                        finding=lambda f: _finding(f, minimal=True), question="q2")
    probe_repair(repair, minimal=minimal)
    return (f"replicas converged after the heal in {min(6, len(SEEDS))} seeded runs "
            f"({empty} of the replies came from replicas holding nothing); {repairs} repair "
            f"messages sent where {needed} replicas were stale; and the right repairs for "
            f"{len(PROBES)} fixed sets of replies.")


q1 = Exercise(
    "Lab 4, question 1: read repair that converges",
    answer_name="repair",
    grader=skeleton_is_not_attempted(lambda fn: _grade(fn, minimal=False)),
    hint=("After the read, which replicas hold something different from what the read "
          "returns? Those are the ones that will keep answering wrongly.",
          "Read repair sends the newest version the read saw to the replicas that answered with "
          "anything else, including a replica that holds nothing at all (version None). "
          "Versions compare like tuples.",
          "newest = max over the replies' versions, skipping None (max(..., default=None) does "
          "not raise when there is none: then return {}); return {node: newest} for the "
          "replicas that need it. Return versions (reply.version), not values."),
    solution=source_of(_reference_repair, name="repair"),
    reference=_reference_repair,
)

q2 = Exercise(
    "Lab 4, question 2: read repair without wasted messages",
    answer_name="minimal_repair",
    grader=skeleton_is_not_attempted(lambda fn: _grade(fn, minimal=True)),
    hint=("A repair to a replica that already holds the newest version is a wasted message.",
          "Send the newest version only to the replicas whose reply differs from it.",
          "Same newest version as in question 1, but only for the replies whose version differs "
          "from it (a replica with no value has version None, which differs too)."),
    solution=source_of(_reference_minimal_repair, name="minimal_repair"),
    reference=_reference_minimal_repair,
)


# -- replay ---------------------------------------------------------------------------------------
def replay(seed: int, repair=None, *, question: int | None = None):
    """Run the last failing read-repair scenario again with ``seed`` and draw it: the
    timeline with the grader's reads of the diverged key highlighted, the message sequence,
    the cluster graph, and a step-through (``.steps.state()`` shows each replica's versions).

    Args:
        seed: the seed an Incorrect outcome named.
        repair: the function to run; default the one that failed.
        question: 1 or 2; default the question that failed last.

    Raises:
        ConfigError: no check has failed in a simulated run yet.

    Example:
        >>> rp = lab04.replay(seed=1); rp.steps.step(); rp.steps.state()   # doctest: +SKIP
    """
    minimal = _LAST_QUESTION[0] if question is None else question == 2
    return _LAST[minimal].replay(seed, repair)


register_replay(q1.name, lambda seed: replay(seed, question=1))
register_replay(q2.name, lambda seed: replay(seed, question=2))
