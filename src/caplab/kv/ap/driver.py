"""The client library of the ring (a Cassandra/Dynamo driver, simplified).

* The client asks its ``near`` node to coordinate; if no answer comes within
  ``coordinator_timeout_ms`` it tries the next node (cluster order, wrapping round), like a
  driver's retry on another host. A write retried this way may be applied twice (same value,
  new timestamp), which is what real drivers do for idempotent writes.
* ``consistency=`` overrides the cluster's level for one operation: ``"one"``, ``"two"``,
  ``"three"``, ``"quorum"``, ``"all"`` or an integer 1..RF.
* Siblings mode: the driver remembers, per client and key, the context (vector clock) of the
  last read or acknowledged write, and sends it with the next put, so a put after a get that
  returned siblings *supersedes* them (the Dynamo read-modify-write cycle). Pass
  ``context=()`` for a blind write, or ``context=c.context("alice", "k")`` explicitly.
* ``cas(key, expected, new)`` is a lightweight transaction (Cassandra's ``IF`` clause; expected
  None is ``IF NOT EXISTS``), run through Paxos by the coordinator (:mod:`.paxos`);
  ``serial_consistency`` is ``"serial"`` or ``"local_serial"``, ``consistency`` the commit's
  level. A condition that fails ends as ``fail`` with ``output={"applied": False, "current":
  value}``; an applied one as ``ok`` with ``output={"applied": True, ...}``. A cas is not
  idempotent, so the driver never retries it at another coordinator (DataStax drivers do not
  retry non-idempotent statements): a silent coordinator ends it as ``info``.
* An outcome is definite only when no attempt can have been applied: a write whose earlier
  coordinator never answered (it may have sent the write to the replicas before it crashed or
  was cut off) ends as ``info`` even if the next coordinator answers "unavailable".
"""

from __future__ import annotations

from dataclasses import replace

from ...errors import ConfigError, UnknownNameError
from ..backend import Driver
from .coordinator import SERIAL_READS
from .levels import check_level
from .messages import ClientCas, ClientGet, ClientPut, ClientReply
from .vclock import check_clock

__all__ = ["RingDriver"]


class RingDriver(Driver):
    PUT_OPTIONS = {"timeout_ms": None, "consistency": None, "context": None, "timestamp": None}
    GET_OPTIONS = {"timeout_ms": None, "consistency": None}
    CAS_OPTIONS = {"timeout_ms": None, "consistency": None, "serial_consistency": "serial"}

    def __init__(self, backend) -> None:
        super().__init__(backend)
        self.contexts: dict[tuple[str, str], tuple] = {}

    def complete_options(self, op: str, options: dict) -> dict:
        b = self.backend
        if op == "cas":
            return self._cas_options(options)
        default = b.options["write_consistency" if op != "get" else "read_consistency"]
        level = options.get("consistency")
        options["consistency"] = check_level("consistency", default if level is None
                                             else level, b.rf, for_read=op == "get",
                                             datacenters=b.options["datacenters"])
        if op != "get" and options.get("context") is not None:
            options["context"] = check_clock(options["context"])
        ts = options.get("timestamp")
        if ts is not None and (isinstance(ts, bool) or not isinstance(ts, int)):
            raise ConfigError(f"timestamp must be a whole number (CQL USING TIMESTAMP), got "
                              f"{ts!r}")
        return options

    def _cas_options(self, options: dict) -> dict:
        b = self.backend
        if b.options["conflict"] != "lww":
            raise ConfigError("cas (a lightweight transaction) needs conflict='lww': Cassandra "
                              "runs Paxos over timestamped cells; Dynamo's siblings have no "
                              "compare-and-set")
        serial = options.get("serial_consistency", "serial")
        norm = serial.lower() if isinstance(serial, str) else serial
        if norm not in SERIAL_READS:
            raise UnknownNameError("serial_consistency level", serial, list(SERIAL_READS))
        options["serial_consistency"] = norm
        level = options.get("consistency")
        options["consistency"] = check_level("consistency", b.options["write_consistency"]
                                             if level is None else level, b.rf,
                                             datacenters=b.options["datacenters"])
        return options

    def candidates(self, client) -> list[str]:
        """Coordinators to try: the near node first, then the others in cluster order."""
        nodes = list(self.backend.nodes)
        near = client.near
        if near in nodes:
            i = nodes.index(near)
            return nodes[i:] + nodes[:i]
        return nodes

    def start(self, client, handle) -> None:
        handle.state["order"] = self.candidates(client)
        handle.state["try"] = 0
        self._send(client, handle)

    def _send(self, client, handle) -> None:
        op = handle.operation
        node = handle.state["order"][handle.state["try"]]
        handle.state["node"] = node
        level = handle.options["consistency"]
        if op.op == "get":
            msg = ClientGet(op.id, op.key, level)
        elif op.op == "cas":
            expected, new = op.input
            msg = ClientCas(op.id, op.key, expected, new, level,
                            handle.options["serial_consistency"])
        else:
            context = handle.options.get("context")
            if context is None:
                context = self.contexts.get((client.name, op.key), ())
            ts = handle.options.get("timestamp")
            if ts is None and self.backend.options["timestamps"] == "client":
                ts = client.local_time()     # the driver's clock (a client-side generator)
            msg = ClientPut(op.id, op.key, op.value, level, context, op.op == "delete", ts)
            handle.state.setdefault("unanswered", set()).add(node)
        client.send(node, msg)
        client.set_timer(self.backend.options["coordinator_timeout_ms"], self._on_no_answer,
                         client, handle, handle.state["try"])

    def _on_no_answer(self, client, handle, attempt: int) -> None:
        if handle.done or handle.state["try"] != attempt or handle.operation.op == "cas":
            return   # a cas is not idempotent: never retried elsewhere
        if attempt + 1 >= len(handle.state["order"]):
            return   # every node tried: the client's own timeout ends it as info
        handle.state["try"] = attempt + 1
        client.trace("client", f"#{handle.id} no answer from {handle.state['node']}; "
                               f"trying {handle.state['order'][attempt + 1]}",
                     action="retry", op_id=handle.id, node=handle.state["node"],
                     next=handle.state["order"][attempt + 1])
        self._send(client, handle)

    def receive(self, client, msg, src: str) -> None:
        if not isinstance(msg, ClientReply):
            return
        handle = client.pending.get(msg.op_id)
        if handle is None:
            return   # a late answer from a coordinator given up on
        if msg.outcome == "ok" and self.backend.options["conflict"] == "siblings":
            self.contexts[(client.name, handle.operation.key)] = msg.context
        unanswered = handle.state.get("unanswered", set())
        unanswered.discard(src)
        if msg.outcome == "fail" and unanswered:
            asked = ", ".join(sorted(unanswered))
            error = (f"{msg.error.replace(' (definite: not applied)', '')}; but the write was "
                     f"first sent to {asked}, which never answered: it may have been applied "
                     f"(indefinite)")
            client.finish(handle, "info", node=src, error=error)
            return
        if msg.applied is not None:
            handle.state["cas"] = {"applied": msg.applied, "current": msg.value}
        client.finish(handle, msg.outcome, value=msg.value, node=src, error=msg.error)

    def on_finish(self, client, handle) -> None:
        """A cas's result carries Cassandra's ``[applied]`` and the current value."""
        if handle.operation.op == "cas" and "cas" in handle.state:
            handle.result = replace(handle.result, output=dict(handle.state["cas"]))
