"""The client library of the topology: routing, connections, and what errors mean.

* Routing follows the topology's metadata, as MySQL Router does for an InnoDB ReplicaSet: writes
  (and ``read_from="primary"`` reads) go to the current source, ``read_from="replica"`` reads
  to a replica (the client's own node if it is a replica, else the first replica): the
  read/write split of an application that sends reads to Router's read-only port. When a
  replica cannot be reached, the read tries the next replica and then the source (Router's
  read-only ``round-robin-with-fallback`` strategy). Deviation: Router refreshes its metadata
  every ``ttl`` (0.5 s); here the client sees a promotion at once.
* A client first connects (one message for the TCP and MySQL handshakes) and then keeps the
  connection. A connection that cannot be opened within ``connect_timeout_ms`` fails the
  operation *definitely*: nothing was sent (``ERROR 2003 (HY000): Can't connect to MySQL
  server``). A request sent on an open connection with no answer before the operation's timeout
  is *indefinite*: the server may have applied it (``ERROR 2013: Lost connection to MySQL server
  during query``), and the connection is dropped.
* There are no retries: a MySQL connector does not retry a failed statement by itself.
"""

from __future__ import annotations

from ..backend import Driver
from .messages import Connect, Connected, ReadReply, ReadRequest, WriteReply, WriteRequest
from .options import check_read_from

__all__ = ["SourceReplicaDriver"]


class SourceReplicaDriver(Driver):
    """Driver of :class:`~caplab.kv.ca.SourceReplicas`."""

    PUT_OPTIONS = {"timeout_ms": None}
    GET_OPTIONS = {"timeout_ms": None, "read_from": None}

    def __init__(self, backend) -> None:
        super().__init__(backend)
        self.connections: dict[str, set] = {}    # client -> nodes it holds a connection to

    def complete_options(self, op: str, options: dict) -> dict:
        opts = dict(options)
        if op == "get":
            read_from = opts.get("read_from")
            opts["read_from"] = (self.backend.options["read_from"] if read_from is None
                                 else check_read_from(read_from))
        return opts

    def targets(self, client, handle) -> list[str]:
        """The nodes this operation may go to, in order (see the module docstring)."""
        topology = self.backend
        source = topology.source
        if handle.operation.op == "get" and handle.options["read_from"] == "replica":
            replicas = [n for n in topology.node_names if n != source]
            if client.near in replicas:
                replicas.remove(client.near)
                replicas.insert(0, client.near)
            return replicas + [source]
        return [source]

    def start(self, client, handle) -> None:
        handle.state.update(targets=self.targets(client, handle), attempt=0, tried=[])
        self._connect(client, handle)

    def _connect(self, client, handle) -> None:
        state = handle.state
        node = state["targets"][len(state["tried"])]
        state["tried"].append(node)
        state.update(node=node, phase="connecting")
        if node in self.connections.get(client.name, ()):
            self._send_request(client, handle)
            return
        state["attempt"] += 1
        client.send(node, Connect(handle.operation.id, state["attempt"]))
        wait = self.backend.options["connect_timeout_ms"]
        if handle.timer is not None:
            # Give up connecting just before the operation's own timeout, so that an operation
            # that never sent its statement ends as a definite failure, not as unknown.
            wait = max(1, min(wait, handle.timer.time_ms - client.now - 1))
        client.set_timer(wait, self._connect_timeout, client, handle, state["attempt"])

    def _connect_timeout(self, client, handle, attempt: int) -> None:
        state = handle.state
        if handle.done or state["phase"] != "connecting" or state["attempt"] != attempt:
            return
        if len(state["tried"]) < len(state["targets"]):
            self._connect(client, handle)       # Router: try the next destination
            return
        tried = ", ".join(state["tried"])
        client.finish(handle, "fail", node=state["node"],
                      error=f"ERROR 2003: can't connect to {tried} (connect timeout "
                            f"{self.backend.options['connect_timeout_ms']} ms) (definite: "
                            f"nothing was sent)")

    def _send_request(self, client, handle) -> None:
        handle.state["phase"] = "sent"
        op = handle.operation
        node = handle.state["node"]
        attempt = handle.state["attempt"]
        if op.op == "get":
            # The fallback to the source is still a read that accepts a replica's answer.
            client.send(node, ReadRequest(op.id, attempt, op.key, handle.options["read_from"]))
        else:
            client.send(node, WriteRequest(op.id, attempt, op.key, op.value))

    def receive(self, client, msg, src: str) -> None:
        handle = client.pending.get(msg.op_id)
        if isinstance(msg, Connected):
            self.connections.setdefault(client.name, set()).add(src)
            if handle is not None and handle.state.get("phase") == "connecting" \
                    and handle.state["node"] == src and handle.state["attempt"] == msg.attempt:
                self._send_request(client, handle)
            return
        if handle is None or handle.state.get("phase") != "sent" \
                or handle.state["node"] != src or handle.state["attempt"] != msg.attempt:
            return      # a late answer
        if msg.status == "ok":
            client.finish(handle, "ok", value=msg.value if isinstance(msg, ReadReply) else None,
                          node=src)
        elif isinstance(msg, WriteReply) and msg.status == "stepped_down":
            client.finish(handle, "info", node=src, error=msg.error)
        else:           # read_only, not_primary: the statement changed nothing
            client.finish(handle, "fail", node=src, error=msg.error)

    def on_finish(self, client, handle) -> None:
        result = handle.result
        if result.outcome == "info":
            # ERROR 2013, lost connection: the client closes it and reconnects next time.
            self.connections.get(client.name, set()).discard(handle.state.get("node"))
