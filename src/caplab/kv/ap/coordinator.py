"""The coordinator role (any node can play it): send a client's write to every replica and wait
for as many acknowledgements as the consistency level asks; read from replicas, answer with the
newest version, and read-repair the stale ones, in one of three ways (option ``read_repair``):

* ``"blocking"`` (the default; Cassandra's foreground read repair at levels above ONE, in every
  version, and the 4.0 table option ``read_repair = 'BLOCKING'``): read from as many live replicas as the level
  needs (the coordinator's own replica first, then preference-list order); if their versions
  differ, write the resolved version to the out-of-date ones among them and wait for their
  acknowledgements *before* answering. That is what guarantees monotonic quorum reads: once a
  QUORUM read returned a version, a quorum holds it. At ONE one replica is asked: no repair.
  If the repair is not acknowledged within ``request_timeout_ms`` the read fails (Cassandra:
  ReadTimeoutException).
* ``"async"`` (Dynamo section 5; like the background repair Cassandra before 4.0 added with
  ``read_repair_chance`` = 1, an option 4.0 removed): read from every live replica, answer after R replies, and repair the stale ones
  in the background once all replied (or the timeout fired). Every read, even at ONE, repairs;
  but a second quorum read can miss a version the first returned.
* ``"off"`` (Cassandra 4.0 ``read_repair = 'NONE'``): read from as many replicas as the level
  needs, answer with the newest, repair nothing.

With ``read_repair_fn`` (lab 4) that function decides the repairs in both repairing modes: in
``"blocking"`` mode it sees the replicas the read contacted and the coordinator waits for the
repairs it asks for; in ``"async"`` mode it sees every replica that answered.

Rules and their sources:
* Cassandra: QUORUM = floor(RF/2) + 1; with fewer live replicas than the level needs (as the
  coordinator's failure detector sees them) the request fails at once with Unavailable: nothing
  was sent, so the failure is definite.
* Cassandra: a write that times out after reaching some replicas is not rolled back
  (WriteTimeoutException): the client learns only that it *may* have been applied (``info``).
* Cassandra: the coordinator keeps a hint for a replica it knows is down, or that did not
  answer in time; hints do not count towards the consistency level.
* Dynamo 4.6 (sloppy quorum, optional): the next healthy node past the preference list takes the
  write for a down replica, with a hint naming the intended owner, and *does* count towards W;
  reads go to the first N healthy nodes of the same walk, and a stand-in answers with the
  writes it holds for the owners (Dynamo: "the first N healthy nodes" serve reads too).
"""

from __future__ import annotations

from . import vclock
from .messages import ClientReply, Mutation, ReadRepair, ReadRequest
from .repair_hook import run_repair_hook
from .topology import need_for
from .versions import Version, context_of, reconcile, values_of

__all__ = ["CoordinatorMixin", "LEVELS", "SERIAL_READS", "required_replicas"]

LEVELS = ("any", "one", "two", "three", "quorum", "all", "local_one", "local_quorum",
          "each_quorum", "serial", "local_serial")
#: read levels that run Paxos (lightweight transactions; see paxos.py)
SERIAL_READS = ("serial", "local_serial")


def required_replicas(level, rf: int) -> int:
    """Replicas a level needs with replication factor ``rf`` (no validation; see ring.py)."""
    if isinstance(level, int):
        return level
    if level in ("local_one", "local_quorum", "each_quorum"):
        return 1      # at most rf; counted per datacenter (topology.Need)
    return {"any": 1, "one": 1, "two": 2, "three": 3, "quorum": rf // 2 + 1, "all": rf,
            "serial": rf // 2 + 1, "local_serial": rf // 2 + 1}[level]


class _Write:
    __slots__ = ("key", "version", "client", "op_id", "required", "targets", "standins",
                 "acked", "replied", "timer")


class _Read:
    __slots__ = ("key", "client", "op_id", "required", "targets", "responses", "replied",
                 "timer", "mode", "merged", "awaiting", "started", "spare")


class CoordinatorMixin:
    """Client-facing handlers of a :class:`~caplab.kv.ap.node.RingNode`."""

    # -- writes ------------------------------------------------------------------------------
    def need(self, level):
        """The :class:`~caplab.kv.ap.topology.Need` of ``level`` with this node coordinating
        (LOCAL_* count replicas in this node's datacenter)."""
        b = self.backend
        return need_for(level, b.rf, b.options["datacenters"], b.dc_of, b.dc_of.get(self.name))

    def handle_client_put(self, msg, src: str) -> None:
        b = self.backend
        key, rf = msg.key, b.rf
        required = self.need(msg.consistency)
        preference_list = b.hashring.preference_list(key, rf)
        alive = [n for n in preference_list if self.is_alive(n)]
        down = [n for n in preference_list if n not in alive]
        standins: dict[str, str] = {}
        if b.options["sloppy_quorum"] and down:
            # Dynamo 4.6: walk on past the preference list for healthy stand-ins.
            standins = dict(zip(self.standins(key, preference_list, len(down)), down))
        available = len(alive) + len(standins)
        if available == 0 and msg.consistency == "any" and self.ack_by_hints(msg, src, down):
            return
        if not required.met(alive + list(standins)):
            self.send(src, ClientReply(msg.op_id, "fail", error=(
                f"unavailable: needed {required}, alive {available} (definite: not applied; "
                f"{self.name} sees replicas {','.join(down)} of {','.join(preference_list)} "
                f"down)")))
            self.trace("unavailable", f"put {key} needed {required} alive {available}", src,
                       op="put", key=key, required=required.total, alive=available)
            return
        version = self.new_version(key, msg.value, msg.context, tombstone=msg.delete,
                                   timestamp=msg.timestamp)
        st = _Write()
        st.key, st.version, st.client, st.op_id = key, version, src, msg.op_id
        st.required, st.targets, st.standins = required, alive, standins
        st.acked, st.replied = set(), False
        req_id = self.new_id()
        self.requests[req_id] = st
        for node in alive:
            self.send(node, Mutation(req_id, key, version))
        for standin, intended in standins.items():
            self.send(standin, Mutation(req_id, key, version, intended))
        covered = set(standins.values())
        for node in down:
            if node not in covered:
                self.store_hint(node, key, version, "replica seen down")
        st.timer = self.set_timer(b.options["request_timeout_ms"], self.on_write_timeout, req_id)

    def standins(self, key: str, preference_list, count: int) -> list[str]:
        """The first ``count`` healthy nodes past the preference list, clockwise (Dynamo 4.6)."""
        out = []
        for node in self.backend.hashring.walk(key):
            if len(out) >= count:
                break
            if node not in preference_list and self.is_alive(node):
                out.append(node)
        return out

    def ack_by_hints(self, msg, src: str, down: list[str]) -> bool:
        """Consistency ANY with every replica down (Cassandra): a stored hint is enough to
        acknowledge the write; nobody can read it until a hint is replayed. False if no hint
        could be stored (hinted handoff off, or every replica down past the hint window)."""
        version = self.new_version(msg.key, msg.value, msg.context, tombstone=msg.delete,
                                   timestamp=msg.timestamp)
        stored = [n for n in down if self.store_hint(n, msg.key, version, "write at ANY")]
        if not stored:
            return False
        self.trace("any", f"put {msg.key} acknowledged at ANY by hints for {','.join(stored)}",
                   src, key=msg.key, hints=tuple(stored))
        self.send(src, ClientReply(msg.op_id, "ok", context=version.vc))
        return True

    def new_version(self, key: str, value, context, *, tombstone: bool = False,
                    timestamp: int | None = None) -> Version:
        """Stamp a write: the client's timestamp if it gave one (``USING TIMESTAMP``, or a
        driver's client-side timestamps), else this coordinator's clock (Cassandra: the
        coordinator's time when the client gives none); in siblings mode, Dynamo's clock."""
        vc = ()
        if self.backend.options["conflict"] == "siblings":
            # Dynamo 4.4: the coordinator increments its own counter in the client's context.
            # Taking the max with what it issued before keeps its counter growing, so two
            # writes it coordinates never carry equal clocks with different values.
            vc = vclock.increment(context, self.name, at_least=self.issued.get(key, 0))
            self.issued[key] = dict(vc)[self.name]
        ts = self.local_time() if timestamp is None else timestamp
        return Version(None if tombstone else value, ts, vc, self.name, self.now,
                       tombstone=tombstone)

    def handle_mutation_ack(self, msg, src: str) -> None:
        st = self.requests.get(msg.req_id)
        if not isinstance(st, _Write):
            return
        st.acked.add(src)
        if not st.replied and st.required.met(st.acked):
            st.replied = True
            self.send(st.client, ClientReply(st.op_id, "ok", context=st.version.vc))
        if len(st.acked) == len(st.targets) + len(st.standins):
            st.timer.cancel()
            del self.requests[msg.req_id]

    def on_write_timeout(self, req_id: int) -> None:
        st = self.requests.pop(req_id, None)
        if st is None:
            return
        if not st.replied:
            self.send(st.client, ClientReply(st.op_id, "info", error=(
                f"timeout: {len(st.acked)} of {st.required} required replicas acknowledged "
                f"within {self.backend.options['request_timeout_ms']} ms; the write may have "
                f"been applied (indefinite, not rolled back)")))
        # Cassandra: a replica that did not answer in time gets a hint.
        for node in st.targets:
            if node not in st.acked:
                self.store_hint(node, st.key, st.version, "no ack in time")

    # -- reads -------------------------------------------------------------------------------
    def read_targets(self, alive: list[str], required, mode: str) -> list[str]:
        """The replicas a read asks: every live one (async, Dynamo), or as many as the level
        needs, this node's own replica first, then its datacenter's, then preference-list
        order (Cassandra reads the closest replicas; the snitch ranks the local node first)."""
        if mode == "async":
            return alive
        dc_of = self.backend.dc_of
        here = dc_of.get(self.name)
        ordered = sorted(alive, key=lambda n: (n != self.name, dc_of.get(n) != here))
        return required.pick(ordered)

    def handle_client_get(self, msg, src: str) -> None:
        if msg.consistency in SERIAL_READS:
            self.paxos_start(msg, src, read_only=True)   # Paxos, see paxos.py
            return
        b = self.backend
        key, rf = msg.key, b.rf
        required = self.need(msg.consistency)
        preference_list = b.hashring.preference_list(key, rf)
        alive = [n for n in preference_list if self.is_alive(n)]
        sloppy = b.options["sloppy_quorum"] and len(alive) < len(preference_list)
        if sloppy:
            # Dynamo 4.6: read from the first N healthy nodes of the walk, so a stand-in that
            # took a write for a down owner answers with it.
            alive = alive + self.standins(key, preference_list, rf - len(alive))
        if not required.met(alive):
            down = [n for n in preference_list if n not in alive]
            self.send(src, ClientReply(msg.op_id, "fail", error=(
                f"unavailable: needed {required}, alive {len(alive)} (definite; {self.name} "
                f"sees replicas {','.join(down)} of {','.join(preference_list)} down)")))
            self.trace("unavailable", f"get {key} needed {required} alive {len(alive)}", src,
                       op="get", key=key, required=required.total, alive=len(alive))
            return
        st = _Read()
        st.key, st.client, st.op_id, st.required = key, src, msg.op_id, required
        st.mode = b.options["read_repair"]
        st.targets = self.read_targets(alive, required, st.mode)
        st.responses, st.replied, st.merged, st.awaiting = {}, False, None, set()
        st.started, st.spare = self.now, None
        req_id = self.new_id()
        self.requests[req_id] = st
        for node in st.targets:
            self.send(node, ReadRequest(req_id, key, sloppy))
        st.timer = self.set_timer(b.options["request_timeout_ms"], self.on_read_timeout, req_id)
        self.speculate_later(req_id, st, self.read_targets(alive, self.need("all"), "ordered"))

    def handle_read_response(self, msg, src: str) -> None:
        st = self.requests.get(msg.req_id)
        if not isinstance(st, _Read) or src in st.responses:
            return
        st.responses[src] = msg.versions
        self.note_read_latency(st, src)
        if st.mode == "async":
            # Dynamo 5: answer after R replies; repair once every replica asked has answered.
            if not st.replied and st.required.met(st.responses):
                self.answer_read(st, self.resolve(st))
            if len(st.responses) == len(st.targets):
                st.timer.cancel()
                del self.requests[msg.req_id]
                self.send_repairs(st, self.repair_plan(st))
            return
        if st.merged is not None or not st.required.met(st.responses):
            return
        st.merged = self.resolve(st)
        plan = self.repair_plan(st) if st.mode == "blocking" else []
        if not plan:
            self.finish_read(msg.req_id, st)
            return
        # Cassandra's blocking (foreground) read repair: write the resolved version to the out-of-date
        # replicas contacted, and answer only when they have acknowledged it.
        st.awaiting = {node for node, _ in plan}
        self.send_repairs(st, plan, req_id=msg.req_id)

    def handle_read_repair_ack(self, msg, src: str) -> None:
        st = self.requests.get(msg.req_id)
        if not isinstance(st, _Read) or src not in st.awaiting:
            return
        st.awaiting.discard(src)
        if not st.awaiting:
            self.finish_read(msg.req_id, st)

    def resolve(self, st):
        """The reconciled versions of every reply so far (LWW winner, or siblings)."""
        return reconcile([v for vs in st.responses.values() for v in vs],
                         self.backend.options["conflict"])

    def answer_read(self, st, merged) -> None:
        st.replied = True
        self.send(st.client, ClientReply(st.op_id, "ok", value=values_of(merged),
                                         context=context_of(merged)))

    def finish_read(self, req_id: int, st) -> None:
        st.timer.cancel()
        del self.requests[req_id]
        self.answer_read(st, st.merged)

    def on_read_timeout(self, req_id: int) -> None:
        st = self.requests.pop(req_id, None)
        if st is None:
            return
        limit = self.backend.options["request_timeout_ms"]
        if st.awaiting:
            self.send(st.client, ClientReply(st.op_id, "fail", error=(
                f"timeout: blocking read repair of {st.key} not acknowledged by "
                f"{','.join(sorted(st.awaiting))} within {limit} ms (definite: the read "
                f"returned nothing; the repair may have been applied)")))
            return
        if not st.replied:
            self.send(st.client, ClientReply(st.op_id, "fail", error=(
                f"timeout: {len(st.responses)} of {st.required} required replicas answered "
                f"within {limit} ms (definite: a read changes nothing)")))
        if st.mode == "async":
            self.send_repairs(st, self.repair_plan(st))

    def repair_plan(self, st) -> list[tuple[str, tuple]]:
        """``[(node, versions)]``: which replicas that answered get which versions.

        Built in: the reconciled versions to every replica that answered with something else.
        With the ``read_repair_fn`` option, that function decides (see :mod:`.repair_hook`).
        """
        b = self.backend
        if b.options["read_repair"] == "off" or len(st.responses) < 2:
            return []
        if b.options["read_repair_fn"] is not None:
            plan = run_repair_hook(b.options["read_repair_fn"], st.key, st.responses)
            return [(node, (version,)) for node, version in plan]
        merged = self.resolve(st)
        return [(node, merged) for node, versions in st.responses.items()
                if tuple(versions) != merged]

    def send_repairs(self, st, plan, req_id: int | None = None) -> None:
        """Send each planned repair (``req_id``: blocking, the replica acknowledges it)."""
        hook = " (read_repair_fn)" if self.backend.options["read_repair_fn"] else ""
        for node, versions in plan:
            self.backend.counters["read_repairs"] += 1
            self.trace("repair", f"{st.mode} read repair {st.key} -> {node}{hook}", node,
                       mode=st.mode, key=st.key, target=node, hook=bool(hook))
            self.send(node, ReadRepair(st.key, versions, req_id))
