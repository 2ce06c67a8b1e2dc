"""The controller of the Kafka-like log: broker liveness, leader election, the ISR, and the
consumer groups' coordinator.

Design (a simplification, documented): one fixed ``controller`` node stands for Kafka's KRaft
controller quorum (or ZooKeeper) and for the group coordinator. Its state is durable, as the
quorum's would be; crash it and no leader is elected and no group rebalances until it returns.
Brokers heartbeat to it; one silent for ``broker_session_timeout_ms`` is fenced: it leaves every
ISR and its partitions get a new leader, the first live replica in the ISR (Kafka's preferred
order). With no live ISR member the partition goes offline, unless ``unclean_leader_election`` is
on: then the first live out-of-sync replica leads and the committed records it lacks are lost.
"""

from __future__ import annotations

from ...net.endpoint import Endpoint
from .messages import Assignment, OffsetCommitReply, PartitionState

__all__ = ["Controller", "Group"]


class Group:
    """A consumer group: members, generation, assignment and committed offsets (durable)."""

    __slots__ = ("name", "topic", "members", "generation", "assignment", "committed")

    def __init__(self, name: str, topic: str) -> None:
        self.name = name
        self.topic = topic
        self.members: dict = {}       # member -> last heartbeat time
        self.generation = 0
        self.assignment: dict = {}    # member -> tuple of partitions
        self.committed: dict = {}     # partition -> next offset to consume


class Controller(Endpoint):
    """The fixed controller node (see the module docstring)."""

    def __init__(self, name: str, brokers: list, options: dict) -> None:
        super().__init__(name)
        self.brokers = list(brokers)
        self.options = options
        self.topics: dict = {}            # topic -> topic options
        self.state: dict = {}             # (topic, p) -> [leader, epoch, isr, replicas, min_isr]
        self.version = 0
        self.groups: dict = {}            # group -> Group
        self.last_heartbeat = {b: 0 for b in self.brokers}
        self.alive = set(self.brokers)
        self.elections = 0

    def start(self) -> None:
        self.set_timer(self.options["broker_heartbeat_ms"], self._check_brokers, daemon=True)
        self.set_timer(self.options["consumer_heartbeat_ms"], self._check_members, daemon=True)

    def on_restart(self) -> None:
        # The quorum's state is durable; liveness is learnt again from heartbeats.
        self.last_heartbeat = {b: self.now for b in self.brokers}
        self.start()

    # -- topics ------------------------------------------------------------------------------
    def create_topic(self, topic: str, options: dict) -> None:
        """Assign replicas round robin (partition p starts at broker p mod B) and publish."""
        n = len(self.brokers)
        self.topics[topic] = options
        for p in range(options["partitions"]):
            rf = options["replication_factor"]
            replicas = tuple(self.brokers[(p + i) % n] for i in range(rf))
            self.state[(topic, p)] = [replicas[0], 0, replicas, replicas,
                                      options["min_insync_replicas"]]
        self._publish()

    def _publish(self) -> None:
        self.version += 1
        msg = self._state_message()
        for b in self.brokers:
            self.send(b, msg)

    def _state_message(self) -> PartitionState:
        states = tuple((t, p, s[0], s[1], s[2], s[3], s[4])
                       for (t, p), s in sorted(self.state.items()))
        return PartitionState(self.version, states)

    # -- brokers -----------------------------------------------------------------------------
    def handle_broker_heartbeat(self, msg, src: str) -> None:
        self.last_heartbeat[src] = self.now
        if src not in self.alive:
            self.alive.add(src)
            self.trace("broker_registered", src)
            self._elect_offline()
        if msg.version != self.version:
            self.send(src, self._state_message())

    def _check_brokers(self) -> None:
        timeout = self.options["broker_session_timeout_ms"]
        for b in self.brokers:
            if b in self.alive and self.now - self.last_heartbeat[b] > timeout:
                self._fence(b)
        self.set_timer(self.options["broker_heartbeat_ms"], self._check_brokers, daemon=True)

    def _fence(self, broker: str) -> None:
        self.alive.discard(broker)
        self.trace("broker_fenced", broker)
        changed = False
        for tp in sorted(self.state):
            leader, epoch, isr, replicas, min_isr = self.state[tp]
            if leader == broker:
                self._elect(tp)
                changed = True
            elif broker in isr and len(isr) > 1:
                self.state[tp][2] = tuple(b for b in isr if b != broker)
                changed = True
        if changed:
            self._publish()

    def _elect(self, tp) -> None:
        """Elect the first live ISR member; else, if allowed, an out-of-sync replica."""
        leader, epoch, isr, replicas, min_isr = self.state[tp]
        live_isr = [b for b in replicas if b in isr and b in self.alive]
        if live_isr:
            new, new_isr = live_isr[0], tuple(live_isr)
        else:
            live = [b for b in replicas if b in self.alive]
            if live and self.options["unclean_leader_election"]:
                # Kafka: unclean.leader.election.enable lets an out-of-sync replica lead;
                # the committed records it never copied are lost.
                new, new_isr = live[0], (live[0],)
                self.trace("unclean_election", f"{tp[0]}-{tp[1]} -> {new}")
            else:
                new, new_isr = None, isr   # offline; Kafka keeps the last ISR
        self.elections += 1
        self.state[tp] = [new, epoch + 1, new_isr, replicas, min_isr]
        self.trace("elect", f"{tp[0]}-{tp[1]} leader={new} isr={','.join(new_isr)}")

    def _elect_offline(self) -> None:
        changed = False
        for tp in sorted(self.state):
            s = self.state[tp]
            if s[0] is None:
                self._elect(tp)
                changed = changed or self.state[tp][0] is not None
            elif s[0] not in self.alive:
                self._elect(tp)
                changed = True
        if changed:
            self._publish()

    def handle_alter_isr(self, msg, src: str) -> None:
        tp = (msg.topic, msg.partition)
        s = self.state.get(tp)
        # Kafka's AlterPartition: only the current leader, in its current epoch, changes the ISR.
        if s is None or s[0] != src or s[1] != msg.epoch or src not in self.alive:
            return
        isr = tuple(b for b in msg.isr if b == src or b in self.alive)
        if isr != s[2]:
            s[2] = isr
            self._publish()
        else:
            self.send(src, self._state_message())

    # -- consumer groups ----------------------------------------------------------------------
    def handle_join_group(self, msg, src: str) -> None:
        group = self.groups.get(msg.group)
        if group is None:
            group = self.groups[msg.group] = Group(msg.group, msg.topic)
        group.members[src] = self.now
        self._rebalance(group, f"{src} joined")

    def handle_leave_group(self, msg, src: str) -> None:
        group = self.groups.get(msg.group)
        if group is not None and group.members.pop(src, None) is not None:
            self._rebalance(group, f"{src} left")

    def handle_group_heartbeat(self, msg, src: str) -> None:
        group = self.groups.get(msg.group)
        if group is None:
            return
        if src not in group.members:   # expired: Kafka answers UNKNOWN_MEMBER_ID; it rejoins
            group.members[src] = self.now
            return self._rebalance(group, f"{src} rejoined")
        group.members[src] = self.now
        if msg.generation != group.generation:
            self._send_assignment(group, src)

    def _check_members(self) -> None:
        timeout = self.options["session_timeout_ms"]
        for name in sorted(self.groups):
            group = self.groups[name]
            expired = [m for m in sorted(group.members) if self.now - group.members[m] > timeout]
            for m in expired:
                del group.members[m]
            if expired:
                self._rebalance(group, f"{','.join(expired)} missed the session timeout")
        self.set_timer(self.options["consumer_heartbeat_ms"], self._check_members, daemon=True)

    def _rebalance(self, group: Group, why: str) -> None:
        """Range assignment: sorted members get contiguous runs of partitions."""
        group.generation += 1
        members = sorted(group.members)
        n = self.topics[group.topic]["partitions"]
        group.assignment = {}
        start = 0
        for i, m in enumerate(members):
            count = n // len(members) + (1 if i < n % len(members) else 0)
            group.assignment[m] = tuple(range(start, start + count))
            start += count
        self.trace("rebalance", f"{group.name} generation {group.generation}: {why}")
        for m in members:
            self._send_assignment(group, m)

    def _send_assignment(self, group: Group, member: str) -> None:
        # A partition the group never committed starts at offset 0, the log's beginning: the
        # lab's groups behave as auto.offset.reset=earliest (Kafka's default is latest, which
        # would skip everything produced before the group first joined).
        parts = tuple((p, group.committed.get(p, 0)) for p in group.assignment.get(member, ()))
        self.send(member, Assignment(group.name, group.generation, parts))

    def handle_offset_commit(self, msg, src: str) -> None:
        group = self.groups.get(msg.group)
        owned = group.assignment.get(src, ()) if group is not None else ()
        # Kafka: a commit from a member of an older generation is refused (ILLEGAL_GENERATION),
        # so a consumer fenced by a rebalance cannot move the group's offsets.
        if group is None or msg.generation != group.generation or \
                any(p not in owned for p, _ in msg.offsets):
            return self.send(src, OffsetCommitReply(msg.op, "IllegalGeneration"))
        for p, offset in msg.offsets:
            group.committed[p] = offset
        self.send(src, OffsetCommitReply(msg.op, None))
