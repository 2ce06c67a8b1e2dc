"""Producers and consumers of the Kafka-like log, recorded in the world's history.

Operations: ``produce`` (key: the topic; input: the batch ``((key, value, msg_id), ...)``;
output: ``(partition, base offset)``), ``poll`` (output: the records delivered to the
application, ``((partition, offset, msg_id, key, value), ...)``; options name the group) and
``commit`` (input: ``((partition, next offset), ...)``). The checkers in
:mod:`caplab.bus.check` read exactly these.

A consumer with ``auto_commit=True`` commits the fetched positions *before* processing
(at-most-once: a crash while processing loses the records); with ``auto_commit=False`` the
application commits after processing (at-least-once: a crash before the commit redelivers them
to whoever gets the partition next). Kafka documents both orders in its design section.

``auto_commit=True`` models committing *before* processing, not every detail of Kafka's
``enable.auto.commit`` (default true): Kafka's consumer commits, every
``auto.commit.interval.ms`` (5 s) at the next ``poll()``, the offsets the previous poll
returned. That is at-least-once when the application finishes each batch before polling again
(the KafkaConsumer Javadoc says so), and at-most-once when it hands records to another thread
and polls on, which is the case modelled here.
"""

from __future__ import annotations

from ...world.client import Client
from .messages import GroupHeartbeat, JoinGroup, LeaveGroup
from .options import partition_for

__all__ = ["Producer", "Consumer"]


class Producer(Client):
    """A producer. Create it with ``log.producer(name)``."""

    def __init__(self, name: str, system) -> None:
        super().__init__(name, system)
        self.count = 0
        self.seqs: dict = {}       # (topic, partition) -> last batch sequence
        self.round_robin: dict = {}

    def next_seq(self, topic: str, p: int) -> int:
        seq = self.seqs.get((topic, p), -1) + 1
        self.seqs[(topic, p)] = seq
        return seq

    def produce(self, topic: str, value, *, key: str | None = None, **options):
        """Produce one record and wait for the outcome (see :meth:`produce_async`).

        Example:
            >>> r = producer.produce("orders", "paid", key="alice", acks=1)   # doctest: +SKIP
        """
        return self.wait(self.produce_async(topic, value, key=key, **options))

    def produce_async(self, topic: str, value, *, key: str | None = None, **options):
        """Start producing one record; returns an :class:`OpHandle` at once.

        Options: ``acks`` (0, 1, "all"), ``retries``, ``idempotent``, ``request_timeout_ms``,
        ``retry_backoff_ms``, ``timeout_ms``.

        Raises:
            UnknownNameError: an unknown topic or option. ConfigError: a bad option value.
        """
        return self.produce_batch_async(topic, [(key, value)], **options)

    def produce_batch_async(self, topic: str, records, **options):
        """Produce ``records`` ``[(key, value), ...]`` as one batch to one partition.

        The partition is the first record's key's (``partition=`` overrides it); a batch
        without a key goes round robin over the partitions.
        """
        log = self.system
        topics = log.controller.topics
        if topic not in topics:
            log.topic_options(topic)          # raises UnknownNameError naming the topics
        partitions = topics[topic]["partitions"]
        records = list(records)
        p = options.pop("partition", None)
        if p is None:
            key = records[0][0] if records else None
            p = partition_for(key, partitions) if key is not None else self._next_partition(
                topic, partitions)
        elif isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < partitions:
            from ...errors import ConfigError
            raise ConfigError(f"partition must be in 0..{partitions - 1}, got {p!r}")
        # Ids are taken only once invoke() has accepted the options (it checks them before
        # anything changes), so a refused produce leaves the count as it was.
        n = self.count
        batch = tuple((key, value, f"{self.name}-{n + i}")
                      for i, (key, value) in enumerate(records, 1))
        handle = self.invoke("produce", topic, batch, dict(options, partition=p))
        self.count = n + len(batch)
        return handle

    def _next_partition(self, topic, partitions) -> int:
        p = self.round_robin.get(topic, -1) + 1
        self.round_robin[topic] = p
        return p % partitions


class Consumer(Client):
    """A member of a consumer group. Create it with ``log.consumer(name, group, topic)``."""

    def __init__(self, name: str, system, group: str, topic: str, *, auto_commit: bool,
                 process_ms: int) -> None:
        super().__init__(name, system)
        self.group = group
        self.topic = topic
        self.auto_commit = auto_commit
        self.process_ms = process_ms
        self.generation = -1
        self.positions: dict = {}   # partition -> next offset to fetch
        self.looping = None

    # -- membership ---------------------------------------------------------------------------
    def join(self) -> None:
        """Join the group (done on creation and after a restart)."""
        self.send(self.system.controller_name, JoinGroup(self.group, self.topic))
        self._heartbeat()

    def _heartbeat(self) -> None:
        self.send(self.system.controller_name, GroupHeartbeat(self.group, self.generation))
        self.set_timer(self.system.options["consumer_heartbeat_ms"], self._heartbeat,
                       daemon=True)

    def close(self) -> None:
        """Leave the group at once (a clean shutdown: no session timeout to wait for)."""
        self.send(self.system.controller_name, LeaveGroup(self.group))
        for handle in sorted(self.pending.values(), key=lambda h: h.id):
            self.finish(handle, "info", error="consumer closed: outcome unknown")
        self.incarnation += 1   # stops heartbeats and the poll loop
        self.looping = None
        self.generation, self.positions = -1, {}

    def on_assignment(self, msg) -> None:
        if msg.generation > self.generation:
            # Eager rebalance: every partition is revoked and resumed from its committed offset.
            self.generation = msg.generation
            self.positions = dict(msg.partitions)
            self.trace("assigned", f"{self.group} gen {msg.generation}: "
                                   f"{sorted(self.positions)}")

    def on_crash(self) -> None:
        super().on_crash()
        self.generation, self.positions = -1, {}

    def on_restart(self) -> None:
        self.join()
        if self.looping is not None:
            self.set_timer(self.looping, self._loop_step)

    # -- operations ---------------------------------------------------------------------------
    def poll(self, **options):
        """Fetch committed records from every assigned partition; wait for them.

        Example:
            >>> [r[2] for r in consumer.poll().value]   # doctest: +SKIP
            ['p1-1', 'p1-2']
        """
        return self.wait(self.poll_async(**options))

    def poll_async(self, **options):
        return self.invoke("poll", self.topic, None, dict(options, group=self.group))

    def commit(self, **options):
        """Commit the current positions to the group (after processing: at-least-once)."""
        return self.wait(self.commit_async(**options))

    def commit_async(self, **options):
        return self.invoke("commit", self.topic, tuple(sorted(self.positions.items())),
                           dict(options, group=self.group))

    def run_loop(self, interval_ms: int = 10) -> None:
        """Poll every ``interval_ms`` and commit after each non-empty poll (until closed)."""
        self.looping = interval_ms
        self.set_timer(interval_ms, self._loop_step)

    def _loop_step(self) -> None:
        if self.looping is None:
            return
        handle = self.poll_async()
        handle.on_done(self._loop_polled)

    def _loop_polled(self, result) -> None:
        if not self.up or self.looping is None:
            return
        if result.ok and result.value and not self.auto_commit:
            self.commit_async().on_done(lambda r: self._loop_next())
        else:
            self._loop_next()

    def _loop_next(self) -> None:
        if self.up and self.looping is not None:
            self.set_timer(self.looping, self._loop_step)

    # -- the poll's steps (called by the driver) --------------------------------------------
    def start_poll(self, handle) -> None:
        handle.state.update(waiting=set(), got=[], generation=self.generation)
        driver = self.system.driver
        for p in sorted(self.positions):
            if driver.fetch(self, handle, self.topic, p, self.positions[p]):
                handle.state["waiting"].add(p)
        if not handle.state["waiting"]:
            return self._deliver(handle)
        self.set_timer(handle.options["max_wait_ms"], self._poll_deadline, handle)

    def _poll_deadline(self, handle) -> None:
        if not handle.done and "committing" not in handle.state:
            handle.state["waiting"].clear()
            self._deliver(handle)

    def on_fetch_reply(self, handle, msg) -> None:
        state = handle.state
        if msg.partition not in state.get("waiting", ()) or \
                state["generation"] != self.generation:
            return
        state["waiting"].discard(msg.partition)
        if msg.error == "OffsetOutOfRange":
            # auto.offset.reset=earliest: records deleted by retention are skipped.
            self.positions[msg.partition] = msg.log_start
        elif msg.error is None and msg.records:
            got = state["got"]
            for i, r in enumerate(msg.records, msg.offset):
                got.append((msg.partition, i, r[3], r[1], r[2]))
            self.positions[msg.partition] = msg.offset + len(msg.records)
        if not state["waiting"]:
            self._deliver(handle)

    def _deliver(self, handle) -> None:
        if self.auto_commit and handle.state["got"]:
            # Commit before processing: at-most-once.
            handle.state["committing"] = True
            self.send_commit(handle, tuple(sorted(self.positions.items())))
        else:
            self._process(handle)

    def _process(self, handle) -> None:
        if self.process_ms:
            self.set_timer(self.process_ms, self._processed, handle)
        else:
            self._processed(handle)

    def _processed(self, handle) -> None:
        self.finish(handle, "ok", value=tuple(handle.state["got"]))

    def send_commit(self, handle, offsets) -> None:
        self.system.driver.commit(self, handle, self.group, self.topic, self.generation, offsets)

    def on_commit_reply(self, handle, msg) -> None:
        if handle.operation.op == "poll":
            if handle.state.pop("committing", None):
                self._process(handle)   # Kafka's auto-commit logs a failure and goes on
        elif msg.error is None:
            self.finish(handle, "ok", value=handle.operation.input,
                        node=self.system.controller_name)
        else:
            self.finish(handle, "fail", error=f"{msg.error}: the group rebalanced; commit refused")
