"""The client library of the topology: routing, connections, and what errors mean.

* Routing follows the topology's metadata, as MySQL Router does for an InnoDB ReplicaSet: writes
  (and ``read_from="primary"`` reads) go to the current source, ``read_from="replica"`` reads
  to a replica (the client's own node if it is a replica, else the first replica): the
  read/write split of an application that sends reads to Router's read-only port. Deviation:
  Router refreshes its metadata every ``ttl`` (0.5 s); here the client sees a promotion at once.
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

    def target(self, client, handle) -> str:
        """The node this operation goes to (see the module docstring)."""
        topology = self.backend
        if handle.operation.op == "get" and handle.options["read_from"] == "replica":
            replicas = [n for n in topology.node_names if n != topology.source]
            if client.near in replicas or not replicas:
                return client.near
            return replicas[0]
        return topology.source

    def start(self, client, handle) -> None:
        node = self.target(client, handle)
        handle.state.update(node=node, attempt=1, phase="connecting")
        if node in self.connections.get(client.name, ()):
            self._send_request(client, handle)
            return
        op = handle.operation
        client.send(node, Connect(op.id, 1))
        client.set_timer(self.backend.options["connect_timeout_ms"], self._connect_timeout,
                         client, handle)

    def _connect_timeout(self, client, handle) -> None:
        if handle.done or handle.state["phase"] != "connecting":
            return
        node = handle.state["node"]
        client.finish(handle, "fail", node=node,
                      error=f"ERROR 2003: can't connect to {node} within "
                            f"{self.backend.options['connect_timeout_ms']} ms (definite: "
                            f"nothing was sent)")

    def _send_request(self, client, handle) -> None:
        handle.state["phase"] = "sent"
        op = handle.operation
        node = handle.state["node"]
        if op.op == "get":
            client.send(node, ReadRequest(op.id, 1, op.key, handle.options["read_from"]))
        else:
            client.send(node, WriteRequest(op.id, 1, op.key, op.value))

    def receive(self, client, msg, src: str) -> None:
        handle = client.pending.get(msg.op_id)
        if isinstance(msg, Connected):
            self.connections.setdefault(client.name, set()).add(src)
            if handle is not None and handle.state.get("phase") == "connecting" \
                    and handle.state["node"] == src:
                self._send_request(client, handle)
            return
        if handle is None or handle.state.get("phase") != "sent":
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
