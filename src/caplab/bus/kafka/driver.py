"""The client library of the Kafka-like log: how producers and consumers talk to brokers.

A producer sends each batch to its partition's leader and waits for ``acks`` (0: none, the
send is "ok" at once with offset -1; 1: the leader's append; ``"all"``: the whole ISR). Errors
and timeouts are retried ``retries`` times with the same batch sequence, so an idempotent
producer's retries are appended once (KIP-98) and a plain producer's may be appended twice.
Idempotence follows Kafka's ``enable.idempotence`` rule: on by default, off when ``acks`` is
0 or 1 or ``retries`` is 0 unless asked for (then refused).
Clients learn leaders from the controller's metadata (a stand-in for Kafka's metadata
requests: here metadata is always fresh, while produce and fetch requests cross the network).
"""

from __future__ import annotations

from ...errors import ConfigError
from ...world.client import Driver
from .messages import Fetch, OffsetCommit, Produce
from .options import PRODUCE_OPTIONS, check_acks, check_idempotence

__all__ = ["KafkaDriver", "POLL_OPTIONS", "COMMIT_OPTIONS"]

#: poll options: how long a poll waits for every assigned partition's leader to answer
POLL_OPTIONS = {"max_wait_ms": 50, "timeout_ms": None, "group": None}
COMMIT_OPTIONS = {"timeout_ms": None, "group": None}
#: errors after which a produce is retried (Kafka's retriable errors)
RETRIABLE = frozenset({"NotLeaderOrFollower", "NotEnoughReplicas",
                       "NotEnoughReplicasAfterAppend", "LeaderNotAvailable", "RequestTimedOut"})


def _whole(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return value


class KafkaDriver(Driver):
    """The client side of :class:`~caplab.bus.kafka.KafkaLog` (world client driver contract)."""

    OPTIONS = {"produce": dict(PRODUCE_OPTIONS, partition=None), "poll": POLL_OPTIONS,
               "commit": COMMIT_OPTIONS}

    def __init__(self, log) -> None:
        self.log = log

    # -- options -------------------------------------------------------------------------------
    def complete_options(self, op: str, options: dict) -> dict:
        """Fill the defaults and check the values (names and timeout_ms are checked before)."""
        opts = {k: v for k, v in self.options_for(op).items() if k != "timeout_ms"}
        opts.update(options)
        if op == "produce":
            opts["acks"] = check_acks(opts["acks"])
            _whole("retries", opts["retries"], 0)
            _whole("request_timeout_ms", opts["request_timeout_ms"], 1)
            _whole("retry_backoff_ms", opts["retry_backoff_ms"], 0)
            # Kafka 3.0+: idempotence is on by default unless acks or retries conflict.
            opts["idempotent"] = check_idempotence(opts["idempotent"], opts["acks"],
                                                   opts["retries"])
        elif op == "poll":
            _whole("max_wait_ms", opts["max_wait_ms"], 1)
        return opts

    # -- operations ------------------------------------------------------------------------------
    def start(self, client, handle) -> None:
        op = handle.operation.op
        if op == "produce":
            topic, p = handle.operation.key, handle.options["partition"]
            handle.state.update(tries=0, maybe=False, seq=client.next_seq(topic, p))
            self._send_produce(client, handle)
        elif op == "poll":
            client.start_poll(handle)
        else:
            client.send_commit(handle, handle.operation.input)

    def _send_produce(self, client, handle) -> None:
        if handle.done or not client.up:
            return
        opts, operation = handle.options, handle.operation
        topic, p = operation.key, opts["partition"]
        leader = self.log.leader(topic, p)
        attempt = handle.state["tries"]
        if leader is None:
            return self._produce_error(client, handle, "LeaderNotAvailable", -1)
        handle.state["node"] = leader
        pid = client.name if opts["idempotent"] else None
        client.send(leader, Produce(handle.id, topic, p, operation.input, opts["acks"], pid,
                                    handle.state["seq"]))
        if opts["acks"] == 0:
            # Kafka: with acks=0 the record counts as sent once in the socket buffer; offset -1.
            return client.finish(handle, "ok", value=(p, -1), node=leader)
        client.set_timer(opts["request_timeout_ms"], self._no_reply, client, handle, attempt)

    def _no_reply(self, client, handle, attempt) -> None:
        if not handle.done and handle.state["tries"] == attempt:
            self._produce_error(client, handle, "RequestTimedOut", 0)

    def _produce_error(self, client, handle, error, base) -> None:
        if base >= 0:
            handle.state["maybe"] = True   # the batch may be in the log
        if error in RETRIABLE and handle.state["tries"] < handle.options["retries"]:
            handle.state["tries"] += 1
            client.set_timer(handle.options["retry_backoff_ms"], self._send_produce, client,
                             handle)
            return
        outcome = "info" if handle.state["maybe"] else "fail"
        client.finish(handle, outcome, node=handle.state.get("node"),
                      error=f"{error}" + (" (may have been appended)" if outcome == "info"
                                          else " (not appended)"))

    def receive(self, client, msg, src: str) -> None:
        kind = msg.kind
        if kind == "Assignment":
            return client.on_assignment(msg)
        handle = client.pending.get(msg.op)
        if handle is None:
            return
        if kind == "ProduceReply":
            if msg.error is None:
                client.finish(handle, "ok", value=(msg.partition, msg.base_offset), node=src)
            else:
                self._produce_error(client, handle, msg.error, msg.base_offset)
        elif kind == "FetchReply":
            client.on_fetch_reply(handle, msg)
        elif kind == "OffsetCommitReply":
            client.on_commit_reply(handle, msg)

    def on_finish(self, client, handle) -> None:
        """Nothing to clean: per-operation state lives on the handle."""

    # -- consumer requests ---------------------------------------------------------------------
    def fetch(self, client, handle, topic: str, p: int, offset: int) -> bool:
        """Send a consumer fetch for ``p`` at ``offset`` to its leader; False if it has none."""
        leader = self.log.leader(topic, p)
        if leader is None:
            return False
        client.send(leader, Fetch(topic, p, offset, -1, False, handle.id))
        return True

    def commit(self, client, handle, group, topic, generation, offsets) -> None:
        client.send(self.log.controller_name, OffsetCommit(handle.id, group, topic, generation,
                                                           offsets))
