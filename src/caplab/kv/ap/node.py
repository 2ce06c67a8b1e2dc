"""A ring node: a replica (stores versions, answers reads), a coordinator (see coordinator.py),
a gossiping failure detector, a holder of hints, and an anti-entropy partner.

Failure detection: every node heartbeats every peer each ``gossip_interval_ms``. By default it
uses Cassandra's phi accrual detector (:class:`~caplab.net.failure.PhiAccrualDetector`,
convicting at ``phi_convict_threshold``, 8 by default: about 18 heartbeat intervals of
silence); with ``failure_detector="timeout"`` it thinks a peer down when it has heard nothing
from it for more than ``failure_timeout_ms`` (the shared
:class:`~caplab.net.failure.FailureDetector`).
Liveness is relayed, as in Cassandra's gossip: a heartbeat carries the newest heartbeat version
(generation, beat) its sender knows of every node, and a node counts a peer as heard whenever it
learns a newer version of it, from whichever node (Cassandra's ``Gossiper`` reports the endpoint
to the failure detector when a remote heartbeat version is higher than the local one). So a
one-way cut leaves the peer alive through a third node: requests to it time out instead of
being refused as unavailable; only a node nobody hears from is convicted.

Hints (Cassandra hinted handoff): a coordinator keeps a hint for a replica it sees down, or
that did not acknowledge in time, and replays it when its detector sees the replica up again.
``hint_window_ms`` is Cassandra's ``max_hint_window``: the longest a coordinator *generates* hints
for a node its detector has seen down (``down_since``); after that it stores no new hints for it
(counted as ``hints_not_stored``), but the hints it already holds are still replayed when the
node returns. Stored hints expire only after ``hint_ttl_ms`` (Cassandra: the table's
``gc_grace_seconds``, 10 days), counted as ``hints_expired``.

Durable (kept across a crash): the store, hints, the vector-clock counters this node issued, and
the Paxos state of lightweight transactions (:mod:`caplab.kv.ap.paxos`).
Volatile: the detector's view (including ``down_since``, as Cassandra's gossip state is in
memory), in-flight coordinator requests, anti-entropy sessions.
"""

from __future__ import annotations

from ...net.endpoint import Endpoint
from ...net.failure import FailureDetector, PhiAccrualDetector
from . import merkle
from .coordinator import CoordinatorMixin
from .paxos import PaxosMixin
from .speculation import SpeculationMixin
from .messages import (AntiEntropyPush, Heartbeat, HintAck, HintReplay, MerkleDiff, MerkleTree,
                       MutationAck, ReadRepairAck, ReadResponse)
from .versions import Store, digest, reconcile

__all__ = ["RingNode", "Hint"]


def make_detector(options) -> FailureDetector:
    """The failure detector the ring's options ask for: a fixed silence timeout, or Cassandra's
    phi accrual detector (``phi_convict_threshold``, default 8: with heartbeats every
    ``gossip_interval_ms`` a silent peer is convicted after about 18 intervals). Cassandra's
    ``fd_initial_value_ms`` and ``fd_max_interval_ms`` are both 2 s at a 1 s gossip: here two
    gossip intervals."""
    if options["failure_detector"] == "phi":
        gossip = options["gossip_interval_ms"]
        return PhiAccrualDetector(options["phi_convict_threshold"],
                                  initial_interval_ms=2 * gossip, max_interval_ms=2 * gossip)
    # A peer is seen down once silent for *more than* failure_timeout_ms.
    return FailureDetector(options["failure_timeout_ms"] + 1)


class Hint:
    """A write held for a replica that could not take it (Cassandra hinted handoff)."""

    __slots__ = ("id", "target", "key", "version", "created_ms", "sent_ms")

    def __init__(self, hint_id, target, key, version, created_ms):
        self.id, self.target, self.key, self.version = hint_id, target, key, version
        self.created_ms, self.sent_ms = created_ms, None


class RingNode(PaxosMixin, SpeculationMixin, CoordinatorMixin, Endpoint):
    """One node of the ring. Created by :class:`~caplab.kv.ap.Ring`."""

    def __init__(self, name: str, backend) -> None:
        super().__init__(name)
        self.backend = backend
        self.store = Store(backend.options["conflict"])   # durable
        self.hints: list[Hint] = []                       # durable (Cassandra: hints on disk)
        self.issued: dict[str, int] = {}                  # durable vector-clock counters
        self.paxos: dict = {}                             # durable (Cassandra's system.paxos)
        self._next_id = 0                                 # durable: ids never reused
        self._reset_volatile()

    def _reset_volatile(self) -> None:
        # A peer is seen down once silent for *more than* failure_timeout_ms (a heartbeat
        # arriving exactly at the timeout still counts), hence the + 1 in whole milliseconds.
        self.detector = make_detector(self.backend.options)
        self.believed_up: set[str] = set()
        self.down_since: dict[str, int] = {}   # peer -> when this detector first saw it down
        self.requests: dict = {}
        self.ballot_seen = 0                   # the highest ballot timestamp seen (Paxos)
        self.read_latencies = None             # recent replica read latencies (speculation)
        self.cas_seen: set = set()             # (client, op id) of the cas requests received
        self.beat = 0
        self.heartbeats: dict[str, tuple[int, int]] = {}   # peer -> newest (generation, beat)
        self.ae_cursor = 0
        for hint in self.hints:
            hint.sent_ms = None

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, index: int = 0) -> None:
        """Trust every current peer to be up (as at cluster start) and start the timers."""
        now = self.now
        for peer in self.backend.nodes:
            if peer != self.name:
                self.detector.trust(peer, now)
                self.believed_up.add(peer)
        opts = self.backend.options
        gossip = opts["gossip_interval_ms"]
        self.set_timer(1 + index % gossip, self.on_gossip_timer, daemon=True)
        ae = opts["anti_entropy_ms"]
        if ae:
            count = max(1, len(self.backend.nodes))
            self.set_timer(ae + ae * index // count, self.on_anti_entropy_timer, daemon=True)

    def on_crash(self) -> None:
        self._reset_volatile()

    def on_restart(self) -> None:
        self._reset_volatile()
        self.start(list(self.backend.nodes).index(self.name))

    # -- failure detector --------------------------------------------------------------------
    def is_alive(self, peer: str) -> bool:
        """Whether this node's failure detector believes ``peer`` is up."""
        if peer == self.name:
            return True
        return self.detector.is_alive(peer, self.now)

    def on_gossip_timer(self) -> None:
        self.beat += 1
        # Cassandra's generation is bumped at every start; the incarnation is the lab's.
        gossip = tuple((peer, gen, beat) for peer, (gen, beat) in sorted(self.heartbeats.items()))
        for peer in self.backend.nodes:
            if peer != self.name:
                self.send(peer, Heartbeat(self.incarnation, self.beat, gossip))
        for peer in sorted(self.believed_up):
            if not self.is_alive(peer):
                self.believed_up.discard(peer)
                self.down_since[peer] = self.now
                self.trace("detector", f"{self.name} sees {peer} down", peer,
                           action="down", target=peer)
        self.expire_hints()
        self.replay_hints()
        if self.store.tombstoned:
            self.compact()
        self.set_timer(self.backend.options["gossip_interval_ms"], self.on_gossip_timer,
                       daemon=True)

    def compact(self) -> None:
        """Compaction: purge tombstones older than ``gc_grace_ms`` by this node's clock.

        Cassandra: a tombstone may be dropped once ``gc_grace_seconds`` have passed since the
        deletion; a replica that missed the delete and still holds the old value after that
        brings it back through read repair or repair (the "zombie"), which is why repair must
        run within gc_grace_seconds.
        """
        gc_grace = self.backend.options["gc_grace_ms"]
        purged = self.store.purge_tombstones(self.local_time() - gc_grace)
        if purged:
            self.backend.counters["tombstones_purged"] += len(purged)
            self.trace("compaction", f"purged tombstones of {','.join(purged)} "
                                     f"(older than gc_grace_ms={gc_grace})",
                       keys=tuple(purged), gc_grace_ms=gc_grace)

    def handle_heartbeat(self, msg, src: str) -> None:
        if src not in self.backend.nodes:
            return   # a late heartbeat from a removed node
        self.learn_heartbeat(src, msg.generation, msg.beat)
        for peer, generation, beat in msg.gossip:
            if peer != self.name and peer in self.backend.nodes:
                self.learn_heartbeat(peer, generation, beat)

    def learn_heartbeat(self, peer: str, generation: int, beat: int) -> None:
        """A heartbeat version of ``peer``, heard directly or relayed: only a newer one than
        known is evidence that ``peer`` is alive (a stale or duplicated one is not)."""
        version = (generation, beat)
        known = self.heartbeats.get(peer)
        if known is not None and version <= known:
            return
        self.heartbeats[peer] = version
        self.detector.heard(peer, self.now)
        self.down_since.pop(peer, None)
        if peer not in self.believed_up:
            self.believed_up.add(peer)
            self.trace("detector", f"{self.name} sees {peer} up", peer, action="up", target=peer)
            self.replay_hints(peer)  # Cassandra: hints are replayed when the target is seen up

    # -- hints -------------------------------------------------------------------------------
    def downtime(self, peer: str) -> int:
        """How long this node's failure detector has seen ``peer`` down (0 if it sees it up)."""
        since = self.down_since.get(peer)
        return 0 if since is None else self.now - since

    def store_hint(self, target: str, key: str, version, why: str, *,
                   window: bool = True) -> bool:
        """Keep a hint for ``target``, unless it has been down longer than the hint window.

        Cassandra: max_hint_window is the longest a coordinator generates hints for a node it
        sees down; past it no new hints are written (the node needs repair when it returns).
        ``window=False`` (a sloppy-quorum stand-in, whose copy is the only one it holds for the
        owner; Dynamo has no hint window) always keeps the hint. Returns whether a hint was kept.
        """
        b = self.backend
        if not b.options["hinted_handoff"]:
            return False
        limit = b.options["hint_window_ms"]
        down_ms = self.downtime(target)
        if window and down_ms > limit:
            b.counters["hints_not_stored"] += 1
            self.trace("hint", f"no hint {key}={version.value!r} for {target}: down {down_ms} ms "
                               f"> hint_window_ms={limit} ({why})", target,
                       action="not_stored", key=key, value=version.value, target=target,
                       down_ms=down_ms, hint_window_ms=limit, reason=why)
            return False
        hint = Hint(self.new_id(), target, key, version, self.now)
        self.hints.append(hint)
        b.counters["hints_stored"] += 1
        self.trace("hint", f"store hint {key}={version.value!r} for {target} ({why})", target,
                   action="stored", key=key, value=version.value, target=target, reason=why)
        return True

    def expire_hints(self) -> None:
        """Drop hints older than ``hint_ttl_ms`` (Cassandra: gc_grace_seconds); None keeps them."""
        ttl = self.backend.options["hint_ttl_ms"]
        if ttl is None:
            return
        keep = []
        for hint in self.hints:
            if self.now - hint.created_ms > ttl:
                self.backend.counters["hints_expired"] += 1
                self.trace("hint", f"expired hint {hint.key} for {hint.target} "
                                   f"(older than hint_ttl_ms={ttl})", hint.target,
                           action="expired", key=hint.key, target=hint.target, hint_ttl_ms=ttl)
            else:
                keep.append(hint)
        self.hints = keep

    def replay_hints(self, target: str | None = None) -> None:
        retry_ms = self.backend.options["request_timeout_ms"]
        for hint in self.hints:
            if target is not None and hint.target != target:
                continue
            if not self.is_alive(hint.target):
                continue
            if hint.sent_ms is not None and self.now - hint.sent_ms < retry_ms:
                continue
            hint.sent_ms = self.now
            self.send(hint.target, HintReplay(hint.id, hint.key, hint.version))

    def handle_hint_replay(self, msg, src: str) -> None:
        self.apply(msg.key, (msg.version,), report_loss=False)
        self.send(src, HintAck(msg.hint_id))

    def handle_hint_ack(self, msg, src: str) -> None:
        for i, hint in enumerate(self.hints):
            if hint.id == msg.hint_id:
                del self.hints[i]
                self.backend.counters["hints_replayed"] += 1
                self.trace("hint", f"replayed hint {hint.key}={hint.version.value!r} to {src}",
                           src, action="replayed", key=hint.key, value=hint.version.value,
                           target=src)
                return

    # -- replica -----------------------------------------------------------------------------
    def apply(self, key: str, versions, *, report_loss: bool) -> bool:
        changed, lost = self.store.apply(key, versions)
        if lost and report_loss and self.store.conflict == "lww":
            self.backend.record_lww_loss(self, key, lost, self.store.get(key)[0])
        return changed

    def handle_mutation(self, msg, src: str) -> None:
        if msg.intended is not None and msg.intended != self.name:
            # Dynamo 4.6: a stand-in keeps the write aside with a hint naming the owner.
            self.backend.counters["sloppy_writes"] += 1
            self.store_hint(msg.intended, msg.key, msg.version, f"sloppy stand-in for {src}",
                            window=False)
        else:
            self.apply(msg.key, (msg.version,), report_loss=True)
        self.send(src, MutationAck(msg.req_id, msg.key))

    def handle_read_request(self, msg, src: str) -> None:
        versions = self.store.get(msg.key)
        if msg.sloppy:   # Dynamo 4.6: a stand-in's copies for down owners are readable
            held = tuple(h.version for h in self.hints if h.key == msg.key)
            if held:
                versions = reconcile(versions + held, self.store.conflict)
        self.send(src, ReadResponse(msg.req_id, msg.key, versions))

    def handle_read_repair(self, msg, src: str) -> None:
        self.apply(msg.key, msg.versions, report_loss=False)
        if msg.req_id is not None:   # blocking read repair: the coordinator waits for this
            self.send(src, ReadRepairAck(msg.req_id, msg.key))

    # -- anti-entropy (Dynamo 4.7, Cassandra repair) -------------------------------------------
    def shared_digests(self, peer: str) -> dict[str, str]:
        """Digests of the keys this node holds for which ``peer`` is a replica too."""
        b = self.backend
        out = {}
        for key, versions in self.store.data.items():
            owners = b.hashring.preference_list(key, b.rf)
            if self.name in owners and peer in owners:
                out[key] = digest(versions)
        return out

    def on_anti_entropy_timer(self) -> None:
        b = self.backend
        peers = [n for n in b.nodes if n != self.name]
        for i in range(len(peers)):
            peer = peers[(self.ae_cursor + i) % len(peers)]
            if self.is_alive(peer):
                self.ae_cursor = (self.ae_cursor + i + 1) % len(peers)
                tree = merkle.build(self.shared_digests(peer), b.options["merkle_depth"])
                b.ae_stats["rounds"] += 1
                self.send(peer, MerkleTree(self.new_id(), tree))
                break
        self.set_timer(b.options["anti_entropy_ms"], self.on_anti_entropy_timer, daemon=True)

    def handle_merkle_tree(self, msg, src: str) -> None:
        b = self.backend
        mine = merkle.build(self.shared_digests(src), len(msg.levels) - 1)
        leaves, compared = merkle.diff(msg.levels, mine)
        b.ae_stats["tree_nodes_compared"] += compared
        b.ae_stats["leaves_differing"] += len(leaves)
        if not leaves:
            b.ae_stats["in_sync"] += 1
            return
        depth = len(msg.levels) - 1
        wanted = set(leaves)
        digests = tuple((k, d) for k, d in sorted(self.shared_digests(src).items())
                        if merkle.bucket(k, depth) in wanted)
        self.trace("anti_entropy", f"{src}~{self.name}: {len(leaves)} of {1 << depth} leaves "
                                   f"differ ({compared} tree nodes compared)", src,
                   action="compared", leaves_differing=len(leaves), leaves=1 << depth,
                   tree_nodes_compared=compared)
        self.send(src, MerkleDiff(msg.session, tuple(leaves), digests, compared))

    def handle_merkle_diff(self, msg, src: str) -> None:
        depth = self.backend.options["merkle_depth"]
        leaves = set(msg.leaves)
        theirs = dict(msg.digests)
        mine = {k: d for k, d in self.shared_digests(src).items()
                if merkle.bucket(k, depth) in leaves}
        differing = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        push = tuple((k, self.store.get(k)) for k in differing if k in mine)
        want = tuple(k for k in differing if k in theirs)
        self.backend.ae_stats["keys_exchanged"] += len(push)
        self.send(src, AntiEntropyPush(msg.session, push, want))

    def handle_anti_entropy_push(self, msg, src: str) -> None:
        for key, versions in msg.entries:
            self.apply(key, versions, report_loss=False)
        if msg.entries:
            self.trace("anti_entropy", f"received {len(msg.entries)} keys from {src}: "
                                       f"{','.join(k for k, _ in msg.entries)}", src,
                       action="received", keys=tuple(k for k, _ in msg.entries), source=src)
        if msg.want:
            entries = tuple((k, self.store.get(k)) for k in msg.want)
            self.backend.ae_stats["keys_exchanged"] += len(entries)
            self.send(src, AntiEntropyPush(msg.session, entries, ()))
