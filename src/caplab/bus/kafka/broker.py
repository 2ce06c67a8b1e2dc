"""A broker of the Kafka-like log: leader or follower of each partition it replicates.

The leader appends produced records, answers followers' fetches (long-polled up to
``replica_fetch_wait_max_ms``) and consumers' fetches (only records below the high watermark),
advances the high watermark to the smallest log end offset in the ISR, shrinks the ISR when a
follower has not caught up for ``replica_lag_time_max_ms`` and expands it when one catches up
again (both through the controller, as Kafka's AlterPartition). A follower fetches from the leader
and truncates a diverged log to the leader's end offset of its last epoch (KIP-101).

Durable: each partition's log, epochs and producer state (Kafka keeps them on disk). Volatile:
the metadata, the followers' positions, waiting produce requests and parked fetches.
"""

from __future__ import annotations

from ...net.endpoint import Endpoint
from .messages import AlterIsr, BrokerHeartbeat, Fetch, FetchReply, ProduceReply, Truncate
from .partition import EPOCH, Replica

__all__ = ["Broker"]

META_LEADER, META_EPOCH, META_ISR, META_REPLICAS, META_MIN_ISR = range(5)


class Broker(Endpoint):
    """One broker. ``replicas[(topic, partition)]`` is its durable log of that partition."""

    def __init__(self, name: str, controller: str, options: dict) -> None:
        super().__init__(name)
        self.controller = controller
        self.options = options
        self.replicas: dict = {}          # durable
        self.retention: dict = {}         # topic -> retention_ms (durable topic config)
        self._reset_volatile()

    def _reset_volatile(self) -> None:
        self.version = -1
        self.meta: dict = {}              # (topic, p) -> (leader, epoch, isr, replicas, min_isr)
        self.follower_leo: dict = {}      # (topic, p) -> {broker: log end offset}
        self.caught_up_ms: dict = {}      # (topic, p) -> {broker: last time caught up}
        self.sent_leo: dict = {}          # (topic, p) -> {broker: leader LEO in last reply}
        self.waiting: dict = {}           # (topic, p) -> [(end offset, op, client, base, n)]
        self.parked: dict = {}            # (topic, p) -> {broker: parked Fetch}
        self.pending_isr: dict = {}       # (topic, p) -> proposed ISR awaiting the controller
        self.fetch_token: dict = {}       # (topic, p) -> token of the outstanding fetch

    def start(self) -> None:
        """Start the periodic tasks (heartbeat, ISR check, retention)."""
        self._heartbeat()
        self.set_timer(self.options["replica_lag_time_max_ms"] // 2, self._check_isr,
                       daemon=True)
        self.set_timer(self.options["retention_check_ms"], self._apply_retention, daemon=True)

    def on_crash(self) -> None:
        self._reset_volatile()

    def on_restart(self) -> None:
        self.start()

    # -- metadata ------------------------------------------------------------------------------
    def _heartbeat(self) -> None:
        self.send(self.controller, BrokerHeartbeat(self.version))
        self.set_timer(self.options["broker_heartbeat_ms"], self._heartbeat, daemon=True)

    def handle_partition_state(self, msg, src: str) -> None:
        if msg.version <= self.version:
            return
        self.version = msg.version
        for topic, p, leader, epoch, isr, replicas, min_isr in msg.states:
            if self.name not in replicas:
                continue
            tp = (topic, p)
            old = self.meta.get(tp)
            self.meta[tp] = (leader, epoch, isr, replicas, min_isr)
            self.pending_isr.pop(tp, None)
            replica = self.replicas.setdefault(tp, Replica())
            if old is not None and old[META_LEADER] == leader and old[META_EPOCH] == epoch:
                self._maybe_advance(tp)   # only the ISR changed
                continue
            self._fail_waiting(tp)
            if leader == self.name:
                self._become_leader(tp, replica, replicas)
            elif leader is not None:
                self._fetch_from_leader(tp)

    def _become_leader(self, tp, replica, replicas) -> None:
        self.trace("become_leader", f"{tp[0]}-{tp[1]} epoch {self.meta[tp][META_EPOCH]}")
        others = [b for b in replicas if b != self.name]
        self.follower_leo[tp] = {b: 0 for b in others}
        self.caught_up_ms[tp] = {b: self.now for b in others}
        self.sent_leo[tp] = {b: 0 for b in others}
        self.parked[tp] = {}
        epoch = self.meta[tp][META_EPOCH]
        if not replica.epoch_starts or replica.epoch_starts[-1][0] < epoch:
            replica.epoch_starts.append((epoch, replica.log_end))
        # Kafka (Partition.makeLeader): "we may need to increment high watermark since ISR
        # could be down to 1": a leader alone in its ISR commits what it holds at once.
        self._maybe_advance(tp)

    def is_leader(self, tp) -> bool:
        meta = self.meta.get(tp)
        return meta is not None and meta[META_LEADER] == self.name

    # -- produce ---------------------------------------------------------------------------------
    def handle_produce(self, msg, src: str) -> None:
        tp = (msg.topic, msg.partition)
        if not self.is_leader(tp):
            return self._produce_reply(msg, src, -1, "NotLeaderOrFollower")
        leader, epoch, isr, _, min_isr = self.meta[tp]
        # Kafka: with acks=all, a leader whose ISR is smaller than min.insync.replicas refuses
        # the write before appending it (NotEnoughReplicas).
        if msg.acks == "all" and len(isr) < min_isr:
            return self._produce_reply(msg, src, -1, "NotEnoughReplicas")
        replica = self.replicas[tp]
        base = None
        if msg.producer_id is not None:
            base = replica.duplicate_of(msg.producer_id, msg.seq)   # a retried batch (KIP-98)
        if base is None:
            now = self.now
            records = [(epoch, key, value, msg_id, msg.producer_id, msg.seq, now)
                       for key, value, msg_id in msg.records]
            base = replica.append(records, epoch, msg.producer_id, msg.seq)
            self._wake_followers(tp)
        if msg.acks == 0:
            return
        if msg.acks == 1:
            return self._produce_reply(msg, src, base, None)
        self.waiting.setdefault(tp, []).append((base + len(msg.records), msg.op, src, base))
        self._maybe_advance(tp)

    def _produce_reply(self, msg, src, base, error) -> None:
        if msg.acks != 0:
            self.send(src, ProduceReply(msg.op, msg.topic, msg.partition, base, error))

    def _fail_waiting(self, tp) -> None:
        # A leader that loses leadership cannot say whether its waiting records will survive.
        for end, op, client, base in self.waiting.pop(tp, ()):
            self.send(client, ProduceReply(op, tp[0], tp[1], base, "NotLeaderOrFollower"))

    def _maybe_advance(self, tp) -> None:
        """Advance the high watermark to the smallest LEO in the ISR; answer acks=all writes."""
        if not self.is_leader(tp):
            return
        replica = self.replicas[tp]
        _, _, isr, _, min_isr = self.meta[tp]
        leo = self.follower_leo[tp]
        hw = replica.log_end
        name = self.name
        for group in (isr, self.pending_isr.get(tp, ())):   # Kafka's "maximal ISR"
            for b in group:
                if b != name:
                    end = leo.get(b, 0)
                    if end < hw:
                        hw = end
        if hw > replica.high_watermark:
            replica.high_watermark = hw
        waiting = self.waiting.get(tp)
        if not waiting:
            return
        hw = replica.high_watermark
        keep = []
        for entry in waiting:
            if entry[0] <= hw:
                # Kafka: the ISR shrank below min.insync.replicas after the append.
                error = "NotEnoughReplicasAfterAppend" if len(isr) < min_isr else None
                self.send(entry[2], ProduceReply(entry[1], tp[0], tp[1], entry[3], error))
            else:
                keep.append(entry)
        self.waiting[tp] = keep

    # -- replication: the leader's side ------------------------------------------------------------
    def handle_fetch(self, msg, src: str) -> None:
        tp = (msg.topic, msg.partition)
        replica = self.replicas.get(tp)
        if not self.is_leader(tp):
            return self.send(src, FetchReply(msg.topic, msg.partition, msg.offset, (), 0, 0,
                                             "NotLeaderOrFollower", msg.op))
        if not msg.replica:
            return self._consumer_fetch(tp, replica, msg, src)
        if msg.last_epoch >= 0:
            end = replica.end_offset_for(msg.last_epoch)
            if end < msg.offset:
                return self.send(src, Truncate(msg.topic, msg.partition, end))
        if msg.offset >= self.sent_leo[tp].get(src, 0):
            self.caught_up_ms[tp][src] = self.now
        self.follower_leo[tp][src] = msg.offset
        self._maybe_advance(tp)
        self._maybe_expand(tp, src, msg.offset)
        if msg.offset < replica.log_end:
            self._answer_follower(tp, replica, msg, src)
        else:
            self.parked[tp][src] = msg
            self.set_timer(self.options["replica_fetch_wait_max_ms"], self._unpark, tp, src, msg)

    def _answer_follower(self, tp, replica, msg, src) -> None:
        records = replica.read(msg.offset, self.options["max_fetch_records"], replica.log_end)
        self.sent_leo[tp][src] = replica.log_end
        self.send(src, FetchReply(tp[0], tp[1], msg.offset, records, replica.high_watermark,
                                  replica.log_start, None, msg.op))

    def _unpark(self, tp, src, msg) -> None:
        parked = self.parked.get(tp)
        if parked is not None and parked.get(src) is msg and self.is_leader(tp):
            del parked[src]
            self._answer_follower(tp, self.replicas[tp], msg, src)

    def _wake_followers(self, tp) -> None:
        parked = self.parked.get(tp)
        if parked:
            replica = self.replicas[tp]
            for src in sorted(parked):
                self._answer_follower(tp, replica, parked[src], src)
            parked.clear()

    def _consumer_fetch(self, tp, replica, msg, src) -> None:
        if msg.offset < replica.log_start or msg.offset > replica.log_end:
            return self.send(src, FetchReply(tp[0], tp[1], msg.offset, (),
                                             replica.high_watermark, replica.log_start,
                                             "OffsetOutOfRange", msg.op))
        # Kafka: consumers see only committed records, those below the high watermark.
        records = replica.read(msg.offset, self.options["max_fetch_records"],
                               replica.high_watermark)
        self.send(src, FetchReply(tp[0], tp[1], msg.offset, records, replica.high_watermark,
                                  replica.log_start, None, msg.op))

    # -- ISR shrink and expand (through the controller) ---------------------------------------
    def _check_isr(self) -> None:
        lag_ms = self.options["replica_lag_time_max_ms"]
        for tp in sorted(self.meta):
            if not self.is_leader(tp) or tp in self.pending_isr:
                continue
            isr = self.meta[tp][META_ISR]
            caught, leo = self.caught_up_ms[tp], self.follower_leo[tp]
            end = self.replicas[tp].log_end
            # Kafka: a follower that has not caught up within replica.lag.time.max.ms is out,
            # unless it already holds the leader's whole log (KAFKA-7152).
            slow = [b for b in isr if b != self.name and leo.get(b, 0) < end
                    and self.now - caught.get(b, 0) > lag_ms]
            if slow:
                self._propose_isr(tp, tuple(b for b in isr if b not in slow))
        self.set_timer(lag_ms // 2, self._check_isr, daemon=True)

    def _maybe_expand(self, tp, follower, offset) -> None:
        isr = self.meta[tp][META_ISR]
        if (follower not in isr and tp not in self.pending_isr
                and offset >= self.replicas[tp].high_watermark):
            replicas = self.meta[tp][META_REPLICAS]
            self._propose_isr(tp, tuple(b for b in replicas if b in isr or b == follower))

    def _propose_isr(self, tp, isr) -> None:
        self.pending_isr[tp] = isr
        self.trace("alter_isr", f"{tp[0]}-{tp[1]} -> {','.join(isr)}")
        self.send(self.controller, AlterIsr(tp[0], tp[1], self.meta[tp][META_EPOCH], isr))
        self.set_timer(self.options["replica_lag_time_max_ms"], self._isr_timeout, tp, isr,
                       daemon=True)

    def _isr_timeout(self, tp, isr) -> None:
        if self.pending_isr.get(tp) == isr:
            del self.pending_isr[tp]   # unanswered: propose again at the next check

    # -- replication: the follower's side --------------------------------------------------------
    def _fetch_from_leader(self, tp) -> None:
        meta = self.meta.get(tp)
        if meta is None or meta[META_LEADER] in (None, self.name):
            return
        replica = self.replicas[tp]
        token = self.fetch_token.get(tp, 0) + 1
        self.fetch_token[tp] = token
        last_epoch = replica.records[-1][EPOCH] if replica.records else -1
        self.send(meta[META_LEADER], Fetch(tp[0], tp[1], replica.log_end, last_epoch, True,
                                           token))
        wait = self.options["replica_fetch_wait_max_ms"]
        self.set_timer(wait * 4 + 20, self._fetch_timeout, tp, token, daemon=True)

    def _fetch_timeout(self, tp, token) -> None:
        if self.fetch_token.get(tp) == token:
            self._fetch_from_leader(tp)

    def handle_fetch_reply(self, msg, src: str) -> None:
        tp = (msg.topic, msg.partition)
        meta = self.meta.get(tp)
        if meta is None or meta[META_LEADER] != src or self.fetch_token.get(tp) != msg.op:
            return
        replica = self.replicas[tp]
        if msg.error is None and msg.offset == replica.log_end:
            if msg.records:
                replica.append_replicated(msg.records)
            replica.high_watermark = max(replica.high_watermark,
                                         min(msg.high_watermark, replica.log_end))
        self._fetch_from_leader(tp)

    def handle_truncate(self, msg, src: str) -> None:
        tp = (msg.topic, msg.partition)
        meta = self.meta.get(tp)
        if meta is None or meta[META_LEADER] != src:
            return
        self.trace("truncate", f"{tp[0]}-{tp[1]} to offset {msg.offset}")
        self.replicas[tp].truncate(msg.offset)
        self._fetch_from_leader(tp)

    # -- retention ---------------------------------------------------------------------------
    def _apply_retention(self) -> None:
        for tp in sorted(self.replicas):
            retention_ms = self.retention.get(tp[0])
            if retention_ms is not None:
                self.replicas[tp].delete_before(self.now - retention_ms)
        self.set_timer(self.options["retention_check_ms"], self._apply_retention, daemon=True)
