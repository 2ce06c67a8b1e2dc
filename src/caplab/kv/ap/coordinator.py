"""The coordinator role (any node can play it): send a client's write to every replica and wait
for as many acknowledgements as the consistency level asks; read from every live replica, answer
with the newest version once enough replied, then read-repair the stale ones.

Rules and their sources:
* Cassandra: QUORUM = floor(RF/2) + 1; with fewer live replicas than the level needs (as the
  coordinator's failure detector sees them) the request fails at once with Unavailable: nothing
  was sent, so the failure is definite.
* Cassandra: a write that times out after reaching some replicas is not rolled back
  (WriteTimeoutException): the client learns only that it *may* have been applied (``info``).
* Cassandra: the coordinator keeps a hint for a replica it knows is down, or that did not
  answer in time; hints do not count towards the consistency level.
* Dynamo 4.6 (sloppy quorum, optional): the next healthy node past the preference list takes the
  write for a down replica, with a hint naming the intended owner, and *does* count towards W.
"""

from __future__ import annotations

from . import vclock
from .messages import ClientReply, Mutation, ReadRepair, ReadRequest
from .repair_hook import run_repair_hook
from .versions import Version, context_of, reconcile, values_of

__all__ = ["CoordinatorMixin", "LEVELS", "required_replicas"]

LEVELS = ("one", "two", "three", "quorum", "all")


def required_replicas(level, rf: int) -> int:
    """Replicas a level needs with replication factor ``rf`` (no validation; see ring.py)."""
    if isinstance(level, int):
        return level
    return {"one": 1, "two": 2, "three": 3, "quorum": rf // 2 + 1, "all": rf}[level]


class _Write:
    __slots__ = ("key", "version", "client", "op_id", "required", "targets", "standins",
                 "acked", "replied", "timer")


class _Read:
    __slots__ = ("key", "client", "op_id", "required", "targets", "responses", "replied",
                 "timer")


class CoordinatorMixin:
    """Client-facing handlers of a :class:`~caplab.kv.ap.node.RingNode`."""

    # -- writes ------------------------------------------------------------------------------
    def handle_client_put(self, msg, src: str) -> None:
        b = self.backend
        key, rf = msg.key, b.rf
        required = required_replicas(msg.consistency, rf)
        preference_list = b.hashring.preference_list(key, rf)
        alive = [n for n in preference_list if self.is_alive(n)]
        down = [n for n in preference_list if n not in alive]
        standins: dict[str, str] = {}
        if b.options["sloppy_quorum"] and down:
            # Dynamo 4.6: walk on past the preference list for healthy stand-ins.
            for node in b.hashring.walk(key):
                if len(standins) == len(down):
                    break
                if node not in preference_list and self.is_alive(node):
                    standins[node] = down[len(standins)]
        available = len(alive) + len(standins)
        if available < required:
            self.send(src, ClientReply(msg.op_id, "fail", error=(
                f"unavailable: needed {required}, alive {available} (definite: not applied; "
                f"{self.name} sees replicas {','.join(down)} of {','.join(preference_list)} "
                f"down)")))
            self.trace("unavailable", f"put {key} needed {required} alive {available}", src)
            return
        version = self.new_version(key, msg.value, msg.context)
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

    def new_version(self, key: str, value, context) -> Version:
        """Stamp a write: LWW timestamp from this coordinator's clock (Cassandra: the
        coordinator's time when the client gives none); in siblings mode, Dynamo's clock."""
        vc = ()
        if self.backend.options["conflict"] == "siblings":
            # Dynamo 4.4: the coordinator increments its own counter in the client's context.
            # Taking the max with what it issued before keeps its counter growing, so two
            # writes it coordinates never carry equal clocks with different values.
            vc = vclock.increment(context, self.name, at_least=self.issued.get(key, 0))
            self.issued[key] = dict(vc)[self.name]
        return Version(value, self.local_time(), vc, self.name, self.now)

    def handle_mutation_ack(self, msg, src: str) -> None:
        st = self.requests.get(msg.req_id)
        if not isinstance(st, _Write):
            return
        st.acked.add(src)
        if not st.replied and len(st.acked) >= st.required:
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
    def handle_client_get(self, msg, src: str) -> None:
        b = self.backend
        key, rf = msg.key, b.rf
        required = required_replicas(msg.consistency, rf)
        preference_list = b.hashring.preference_list(key, rf)
        alive = [n for n in preference_list if self.is_alive(n)]
        if len(alive) < required:
            down = [n for n in preference_list if n not in alive]
            self.send(src, ClientReply(msg.op_id, "fail", error=(
                f"unavailable: needed {required}, alive {len(alive)} (definite; {self.name} "
                f"sees replicas {','.join(down)} of {','.join(preference_list)} down)")))
            self.trace("unavailable", f"get {key} needed {required} alive {len(alive)}", src)
            return
        st = _Read()
        st.key, st.client, st.op_id, st.required = key, src, msg.op_id, required
        st.targets, st.responses, st.replied = alive, {}, False
        req_id = self.new_id()
        self.requests[req_id] = st
        # Dynamo 5: the read goes to every healthy replica and returns after R answers.
        for node in alive:
            self.send(node, ReadRequest(req_id, key))
        st.timer = self.set_timer(b.options["request_timeout_ms"], self.on_read_timeout, req_id)

    def handle_read_response(self, msg, src: str) -> None:
        st = self.requests.get(msg.req_id)
        if not isinstance(st, _Read):
            return
        st.responses[src] = msg.versions
        if not st.replied and len(st.responses) >= st.required:
            st.replied = True
            merged = reconcile([v for vs in st.responses.values() for v in vs],
                               self.backend.options["conflict"])
            self.send(st.client, ClientReply(st.op_id, "ok", value=values_of(merged),
                                             context=context_of(merged)))
        if len(st.responses) == len(st.targets):
            st.timer.cancel()
            del self.requests[msg.req_id]
            self.read_repair(st)

    def on_read_timeout(self, req_id: int) -> None:
        st = self.requests.pop(req_id, None)
        if st is None:
            return
        if not st.replied:
            self.send(st.client, ClientReply(st.op_id, "fail", error=(
                f"timeout: {len(st.responses)} of {st.required} required replicas answered "
                f"within {self.backend.options['request_timeout_ms']} ms (definite: a read "
                f"changes nothing)")))
        self.read_repair(st)

    def read_repair(self, st) -> None:
        """Send the newest version to every replica that answered with an older one.

        Dynamo 5 / Cassandra read repair, done after the reply (asynchronously). With the
        ``read_repair_fn`` option, that function decides instead (see :mod:`.repair_hook`).
        """
        b = self.backend
        if not b.options["read_repair"] or len(st.responses) < 2:
            return
        if b.options["read_repair_fn"] is not None:
            self.read_repair_by_hook(st)
            return
        merged = reconcile([v for vs in st.responses.values() for v in vs],
                           b.options["conflict"])
        for node, versions in st.responses.items():
            if tuple(versions) != merged:
                b.counters["read_repairs"] += 1
                self.trace("repair", f"read repair {st.key} -> {node}", node)
                self.send(node, ReadRepair(st.key, merged))

    def read_repair_by_hook(self, st) -> None:
        """Ask ``read_repair_fn(key, replies)`` which replicas to update with which version."""
        b = self.backend
        plan = run_repair_hook(b.options["read_repair_fn"], st.key, st.responses)
        for node, version in plan:
            b.counters["read_repairs"] += 1
            self.trace("repair", f"read repair {st.key} -> {node} (read_repair_fn)", node)
            self.send(node, ReadRepair(st.key, (version,)))
