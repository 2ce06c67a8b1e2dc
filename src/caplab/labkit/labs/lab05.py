"""Lab 5 (write a replicated register): the student writes a whole node, Maelstrom's way.

The student subclasses :class:`~caplab.labkit.labs.lab05_harness.RegisterNode` (an
:class:`~caplab.net.Endpoint` with ``handle_put``/``handle_get``, ``durable`` state and a few
helpers); the grader runs N of them as a register service (:mod:`.lab05_harness`): one client
per node sending ``put``/``get`` requests, a workload, and a nemesis of partitions and crashes,
over several seeds, and checks every history with :func:`caplab.check.check_linearizability`.

* **q1**, a single-node register: linearizable as soon as the one node answers from its own
  state and keeps it on disk (``durable``) across its crashes. The notebook then runs the same
  class on two nodes, and the checker shows what a second, stale copy answering reads breaks.
* **q2**, a quorum register, ABD (Attiya, Bar-Noy, Dolev 1995, "Sharing memory robustly in
  message-passing systems", J. ACM 42(1)), multi-writer form (Lynch & Shvartsman 1997): a write
  asks a majority for the highest version, then stores ``(counter + 1, node, op)`` at a
  majority; a read asks a majority, takes the highest version, *writes it back* to a majority,
  then answers. Any two majorities intersect, so every operation sees every completed write.

A failure is :class:`~caplab.labkit.Incorrect` with the seed, the checker's explanation (the
key, the longest linearizable prefix, the operations that cannot be placed) and the call that
replays it: ``replay: lab05.replay(seed=7)`` draws the run and steps through it.
"""

from __future__ import annotations

from ...net.message import message
from ..exercise import Exercise, Incorrect, NotAttempted
from ..replay import Replay, register_replay
from .lab05_harness import (GetOk, Get, PutOk, Put, RegisterNode, build_run, check_node_class,
                            run_register)

__all__ = ["q1", "q2", "RegisterNode", "Put", "Get", "PutOk", "GetOk", "run", "replay",
           "SETTINGS", "SEEDS", "SingleRegister", "QuorumRegister", "TieredExercise"]

#: the seeds every check tries, in order (the first failing one is reported for replay)
SEEDS = tuple(range(1, 13))
#: how each question runs the student's class (:func:`.lab05_harness.build_run` options)
SETTINGS = {
    1: {"nodes": 1, "clients": 3},
    2: {"nodes": 3, "clients": 6, "read_fraction": 0.6},
}
_LAST_CHECKED: dict = {}   # question -> the class its last check() ran (what replay() redraws)


# -- the reference solutions ------------------------------------------------------------------
class SingleRegister(RegisterNode):
    """q1: one node answers from its own store, kept on disk across crashes."""

    durable = ("store",)

    def setup(self):
        self.store = {}

    def handle_put(self, msg, src):
        self.store[msg.key] = msg.value
        self.reply(src, msg)

    def handle_get(self, msg, src):
        self.reply(src, msg, self.store.get(msg.key))


@message
class Query:
    """Phase 1 of ABD: what is your version of ``key``? (``op`` names the operation)"""
    key: str
    op: int


@message
class Version:
    """A replica's answer to :class:`Query`: its version and value of ``key``."""
    key: str
    op: int
    version: tuple
    value: object


@message
class Store:
    """Phase 2 of ABD: keep ``value`` under ``key`` if ``version`` is newer than yours."""
    key: str
    op: int
    version: tuple
    value: object


@message
class Stored:
    """A replica's acknowledgement of :class:`Store` ``op``."""
    op: int


class QuorumRegister(RegisterNode):
    """q2: ABD. Both operations run two phases against a majority: query, then store."""

    # A replica's store is its disk; so is the operation counter, so that an operation id is
    # never reused after a crash (a late reply to an old operation must not count for a new one).
    durable = ("store", "next_op")
    NOTHING = ((0, "", 0), None)            # the version and value of a key nobody wrote

    def setup(self):
        self.store = {}        # key -> (version, value); version = (counter, node, op)
        self.next_op = 0
        self.ops = {}          # op id -> what this node coordinates (volatile)

    def handle_put(self, msg, src):
        self.start(msg, src)

    def handle_get(self, msg, src):
        self.start(msg, src)

    def start(self, request, client):
        self.next_op += 1
        self.ops[self.next_op] = {"client": client, "request": request, "phase": "query",
                                  "replies": [], "acks": 0}
        self.broadcast(Query(request.key, self.next_op))

    def handle_query(self, msg, src):
        version, value = self.store.get(msg.key, self.NOTHING)
        self.send(src, Version(msg.key, msg.op, version, value))

    def handle_version(self, msg, src):
        op = self.ops.get(msg.op)
        if op is None or op["phase"] != "query":
            return                 # a late reply: that phase already has its majority
        op["replies"].append((msg.version, msg.value))
        if len(op["replies"]) < self.majority:
            return
        version, value = max(op["replies"], key=lambda reply: reply[0])
        if isinstance(op["request"], Put):
            # A version higher than any a majority holds; node and op break ties between
            # concurrent writes, even two coordinated by this node.
            version, value = (version[0] + 1, self.name, msg.op), op["request"].value
        # A read writes back what it read: once it answers, a majority holds that version, so
        # no later read can return anything older (ABD's second phase).
        op.update(phase="store", value=value)
        self.broadcast(Store(msg.key, msg.op, version, value))

    def handle_store(self, msg, src):
        if msg.version > self.store.get(msg.key, self.NOTHING)[0]:
            self.store[msg.key] = (msg.version, msg.value)
        self.send(src, Stored(msg.op))

    def handle_stored(self, msg, src):
        op = self.ops.get(msg.op)
        if op is None or op["phase"] != "store":
            return
        op["acks"] += 1
        if op["acks"] == self.majority:
            del self.ops[msg.op]
            self.reply(op["client"], op["request"], op["value"])


# -- tiered hints -------------------------------------------------------------------------------
class TieredExercise(Exercise):
    """An :class:`Exercise` whose hints come in tiers: ``hint()`` (or ``hint(1)``) nudges,
    ``hint(2)`` names the idea, ``hint(3)`` gives the algorithm step by step."""

    def __init__(self, name: str, *, hints: tuple, **kwargs) -> None:
        super().__init__(name, hint=hints[0], **kwargs)
        self.hints = tuple(hints)

    def hint(self, level: int = 1) -> None:
        """Print hint number ``level`` (1 to ``len(self.hints)``); returns None."""
        if isinstance(level, bool) or not isinstance(level, int) or \
                not 1 <= level <= len(self.hints):
            print(f"hint(level) takes a level from 1 to {len(self.hints)}, got {level!r}")
            return
        more = (f" (hint({level + 1}) says more)" if level < len(self.hints) else "")
        print(f"Hint {level}/{len(self.hints)}: {self.hints[level - 1]}{more}")


# -- grading --------------------------------------------------------------------------------------
def run(node_class, seed: int = 1, *, question: int = 2, **options):
    """Run ``node_class`` as question ``question`` does (one seed) and return the run.

    Args:
        node_class: a :class:`RegisterNode` subclass.
        seed: the seed.
        question: 1 or 2, whose :data:`SETTINGS` to use.
        **options: overrides, e.g. ``nodes=2`` or ``nemesis=False``.

    Returns:
        a :class:`~caplab.labkit.labs.lab05_harness.RegisterRun`: ``.history``, ``.result``
        (``.result.explain()``), ``.error``.

    Example:
        >>> r = run(SingleRegister, seed=1, question=1, nodes=2)
        >>> r.result.verdict
        'not linearizable'
    """
    return run_register(node_class, seed, **{**SETTINGS[question], **options})


def _require_class(answer, what: str) -> None:
    if answer is None or answer is Ellipsis:
        raise NotAttempted(f"replace the placeholder ... with {what}")
    try:
        check_node_class(answer)
    except NotImplementedError:
        raise
    except Exception as exc:
        raise Incorrect(f"{exc} ({what})") from None


def _grade(node_class, question: int) -> str:
    _require_class(node_class, "your class derived from RegisterNode")
    _LAST_CHECKED.pop(question, None)    # the last question checked comes last
    _LAST_CHECKED[question] = node_class
    done = ok = undecided = 0
    for seed in SEEDS:
        r = run(node_class, seed, question=question)
        replay_call = f"lab05.replay(seed={seed})"
        if r.error is not None:
            raise Incorrect(f"with seed {seed}, your node raised {type(r.error).__name__}: "
                            f"{r.error} at {r.world.now} ms", seed=seed, replay=replay_call)
        if r.result.verdict == "not linearizable":
            raise Incorrect(f"with seed {seed}, under the nemesis ({_faults(r)}), the history "
                            f"of {len(r.history)} operations is {r.result.explain()}",
                            seed=seed, replay=replay_call)
        stuck = r.stuck_after_quiet()
        if stuck:
            op = stuck[0]
            raise Incorrect(f"with seed {seed}, from {r.quiet_ms} ms on every node was up and "
                            f"the network whole, yet op {op.id} ({op.client} {op.op} "
                            f"{op.key!r}, sent to {op.node}) got no answer within "
                            f"{r.world.op_timeout_ms} ms: a node must answer when a majority is "
                            f"reachable (did it call self.reply?)", seed=seed, replay=replay_call)
        undecided += r.result.verdict != "linearizable"
        done += len(r.history)
        ok += sum(op.outcome == "ok" for op in r.history)
    if undecided == len(SEEDS):
        raise Incorrect(f"the checker could not decide any of the {len(SEEDS)} runs within its "
                        f"step budget: too many operations left unknown (timed out) at once; "
                        f"does your node answer when a majority is reachable?")
    unsure = (f" ({undecided} run(s) too tangled for the checker's budget: verdict unknown)"
              if undecided else "")
    return (f"linearizable in {len(SEEDS) - undecided} seeded runs under partitions and "
            f"crashes{unsure}: {done} operations, {ok} answered (the others timed out during "
            f"faults, which a register may do: it must never answer wrongly).")


def _not_attempted_while_raising(grader):
    """A node whose handlers still raise NotImplementedError (the skeleton) is Not attempted."""
    def wrapped(answer):
        try:
            return grader(answer)
        except NotImplementedError:
            raise NotAttempted("your node still raises NotImplementedError: write setup(), "
                               "handle_put and handle_get, then run check() again") from None
    return wrapped


def _faults(r) -> str:
    kinds = sorted({step[1] for step in r.schedule if step[1] in ("partition", "crash")})
    plural = {"crash": "crashes", "partition": "partitions"}
    return " and ".join(plural[k] for k in kinds) or "no faults"


def _solution_text(*objects) -> str:
    import inspect
    import textwrap
    head = ("from caplab.net import message\n"
            "from caplab.labkit.labs.lab05 import RegisterNode, Put\n\n")
    return head + "\n\n".join(textwrap.dedent(inspect.getsource(o)).strip() for o in objects)



q1 = TieredExercise(
    "Lab 5, question 1: a single-node register",
    answer_name="SingleNode",
    grader=_not_attempted_while_raising(lambda cls: _grade(cls, 1)),
    hints=("One node, so no messages between nodes: keep a dict key -> value, and answer each "
           "request at once with self.reply(src, msg) or self.reply(src, msg, value).",
           "The nemesis crashes the node: a crash forgets every attribute not named in "
           "durable. Name your dict there: durable = (\"store\",).",
           "setup(): self.store = {}. handle_put: store msg.value under msg.key, reply. "
           "handle_get: reply with self.store.get(msg.key) (None for a key nobody wrote)."),
    solution=_solution_text(SingleRegister).replace("SingleRegister", "SingleNode"),
    reference=SingleRegister,
)

q2 = TieredExercise(
    "Lab 5, question 2: a quorum register",
    answer_name="QuorumNode",
    grader=_not_attempted_while_raising(lambda cls: _grade(cls, 2)),
    hints=("Any two majorities of the nodes share a node. If every write reaches a majority and "
           "every read asks a majority, what can a read learn, and how does it know which value "
           "is newest?",
           "Give every value a version (counter, node, op) that compares as a tuple. A write "
           "first asks a majority for the highest version and picks a higher one; a read takes "
           "the value with the highest version among a majority's answers, and must store it "
           "back at a majority before answering (or two reads can see new, then old).",
           "ABD (Attiya, Bar-Noy, Dolev 1995). Coordinator: on Put/Get, op = a new id (durable, "
           "so never reused after a crash); broadcast Query(key, op). On a majority of "
           "Version(key, op, version, value): take the max version; for a put, version = "
           "(max[0] + 1, self.name, op) and value = the put's value; broadcast Store(key, op, "
           "version, value). On a majority of Stored(op): reply to the client (a get with the "
           "value it stored back). Replica: on Query answer your (version, value); on Store "
           "keep it only if its version is higher than yours, and always acknowledge. "
           "durable = the store and the op counter; pending operations are volatile."),
    solution=_solution_text(Query, Version, Store, Stored, QuorumRegister).replace(
        "QuorumRegister", "QuorumNode"),
    reference=QuorumRegister,
)


# -- replay ---------------------------------------------------------------------------------------
def replay(seed: int, node_class=None, *, question: int | None = None, **options) -> Replay:
    """Rebuild a run from its seed and draw it: the figures, and a step-through of its events.

    Args:
        seed: the seed an Incorrect outcome named.
        node_class: the class to run; default the one the last ``check()`` ran.
        question: 1 or 2; default the question last checked.
        **options: overrides of the question's :data:`SETTINGS` (e.g. ``nodes=2``).

    Returns:
        a :class:`~caplab.labkit.replay.Replay`: ``.figures()`` (timeline with the violation
        highlighted, message sequence around it, cluster graph), ``.steps`` (``.step()``,
        ``.events``, ``.state()``), ``.explain()``.

    Raises:
        ConfigError: no class given and none checked yet.

    Example:
        >>> rp = replay(seed=7, node_class=QuorumRegister)       # doctest: +SKIP
        >>> rp.figures()["timeline"].show(); rp.steps.step()      # doctest: +SKIP
    """
    from ...errors import ConfigError
    if question is None:
        question = next(reversed(_LAST_CHECKED), 2) if node_class is None else 2
    if question not in SETTINGS:
        raise ConfigError(f"question must be one of {sorted(SETTINGS)}, got {question!r}")
    if node_class is None:
        node_class = _LAST_CHECKED.get(question)
        if node_class is None:
            raise ConfigError(f"nothing to replay yet: run lab05.q{question}.check(...) first, "
                              f"or give the class: lab05.replay(seed={seed}, node_class=...)")
    settings = {**SETTINGS[question], **options}
    finished = run_register(node_class, seed, **settings)

    def rebuild():
        fresh = build_run(node_class, seed, **settings)
        return fresh.service, fresh.until_ms

    return Replay(f"lab 5 q{question}, {node_class.__name__}, seed {seed}", seed,
                  finished.service, finished.result, rebuild, until_ms=finished.until_ms)


register_replay(q1.name, lambda seed: replay(seed, question=1))
register_replay(q2.name, lambda seed: replay(seed, question=2))
