"""Scenarios of notebook 04's section on lightweight transactions and datacenters: the
``IF NOT EXISTS`` race that last-write-wins loses silently and Paxos does not, a
compare-and-set cut off after its proposal (unknown, then completed by a SERIAL read), and a
WAN partition between two datacenters (LOCAL_QUORUM on each side, QUORUM and EACH_QUORUM
refused).

Each function builds a fresh seeded AP :class:`~caplab.kv.Cluster`, runs one story and returns
its facts as a frozen dataclass (with the cluster, for drawing). The notebook prints the facts;
``tests/course/test_ap_advanced_course.py`` asserts them.

Example:
    >>> from caplab.course.ap_advanced import lwt_race
    >>> race = lwt_race(seed=1)
    >>> race.plain_both_acknowledged, race.lwt_applied_count
    (True, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..check import check_linearizability
from ..history.models import cas_register_model
from ..kv import Cluster
from ..kv.ap.paxos import cas_records
from ..kv.probes import wait_seen_down
from ..net.latency import Uniform

__all__ = ["RaceFacts", "lwt_race", "CasTimeoutFacts", "cas_timeout", "WanFacts",
           "wan_partition"]


def _both(c, handles) -> None:
    c.run_until(lambda: all(h.done for h in handles), timeout_ms=3000)


# -- the IF NOT EXISTS race --------------------------------------------------------------------
@dataclass(frozen=True)
class RaceFacts:
    """Alice (near n1) and Bob (near n3) register the same user name at the same moment.

    ``plain_*``: each reads (QUORUM), sees no user, and writes (QUORUM). ``lwt_*``: each runs
    ``cas(key, None, name)`` (``INSERT ... IF NOT EXISTS``).
    """

    key: str
    plain_reads: tuple            # what each read before writing
    plain_both_acknowledged: bool
    plain_final: Any              # the value every replica holds at the end
    plain_overwritten: str        # whose acknowledged registration is gone
    lwt_applied_count: int
    lwt_winner: str
    lwt_loser: str
    lwt_loser_output: dict        # {"applied": False, "current": <the winner>}
    lwt_final: Any
    lwt_linearizable: str
    put_latency_ms: int           # an uncontended QUORUM write
    cas_latency_ms: int           # an uncontended cas: four round trips
    cluster: Any = field(repr=False, compare=False)


def lwt_race(seed: int = 1, *, key: str = "user:ann") -> RaceFacts:
    """Both races on one fresh 3-node ring (RF 3, 1-5 ms latency), then one write and one cas
    with no contention for the latency comparison."""
    c = Cluster(mode="ap", nodes=3, seed=seed, replication_factor=3, latency=Uniform(1, 5))
    alice, bob = c.client("alice", near="n1"), c.client("bob", near="n3")
    plain_key, lwt_key = f"{key}:plain", key
    reads = [alice.get_async(plain_key), bob.get_async(plain_key)]
    _both(c, reads)
    writes = [alice.put_async(plain_key, "alice"), bob.put_async(plain_key, "bob")]
    _both(c, writes)
    c.run_for(100)
    plain_final = alice.get(plain_key, consistency="all").value
    cas = [alice.cas_async(lwt_key, None, "alice"), bob.cas_async(lwt_key, None, "bob")]
    _both(c, cas)
    applied = [h for h in cas if h.result.ok]
    losers = [h for h in cas if not h.result.ok]
    lwt_final = alice.get(lwt_key, consistency="serial").value
    lin = check_linearizability([r for r in cas_records(c.history) if r["key"] == lwt_key],
                                cas_register_model()).verdict
    put = alice.put(f"{key}:solo-put", "x")
    solo = alice.cas(f"{key}:solo-cas", None, "x")
    return RaceFacts(
        key, tuple(h.result.value for h in reads), all(h.result.ok for h in writes),
        plain_final, "bob" if plain_final == "alice" else "alice", len(applied),
        applied[0].result.client if applied else "", losers[0].result.client if losers else "",
        dict(losers[0].result.output or {}) if losers else {}, lwt_final, lin,
        put.latency_ms, solo.latency_ms, c)


# -- a cas whose outcome is unknown ----------------------------------------------------------
@dataclass(frozen=True)
class CasTimeoutFacts:
    """Alice's ``cas(key, None, "alice")`` is cut off (with n1, its coordinator) after the
    replicas accepted the proposal and before any answer came back. Bob is on the other side."""

    key: str
    outcome: str                  # what Alice learns: "info"
    error: str
    quorum_read: Any              # Bob's QUORUM read right after: nothing committed yet
    serial_read: Any              # Bob's SERIAL read: finishes the proposal, returns it
    repaired_by: tuple            # coordinators that finished an in-progress proposal
    quorum_read_after: Any
    bob_cas_output: dict          # Bob's own IF NOT EXISTS afterwards
    linearizable: str
    cluster: Any = field(repr=False, compare=False)


def cas_timeout(seed: int = 1, *, key: str = "user:ann", latency_ms: int = 2) -> CasTimeoutFacts:
    """3 nodes, RF 3, a constant ``latency_ms``; the partition falls between the accepts and
    their replies (6.5 one-way trips after the cas began)."""
    c = Cluster(mode="ap", nodes=3, seed=seed, replication_factor=3, latency=latency_ms)
    alice, bob = c.client("alice", near="n1"), c.client("bob", near="n3")
    handle = alice.cas_async(key, None, "alice")
    # client -> n1, prepare, promise, read, answer, propose: 6 trips; the accepts are on the way
    c.run_for(6 * latency_ms + latency_ms // 2)
    c.partition(["n1", "alice"], ["n2", "n3", "bob"])
    c.run_until(lambda: handle.done, timeout_ms=3000)
    quorum = bob.get(key).value
    serial = bob.get(key, consistency="serial").value
    repaired = tuple(e.node for e in c.sim.trace.of_kind("paxos")
                     if e.data.get("action") == "repair")
    after = bob.get(key).value
    bob_cas = bob.cas(key, None, "bob")
    lin = check_linearizability(cas_records(c.history), cas_register_model()).verdict
    return CasTimeoutFacts(key, handle.result.outcome, handle.result.error or "", quorum, serial,
                           repaired, after, dict(bob_cas.output or {}), lin, c)


# -- a WAN partition between two datacenters ---------------------------------------------------
@dataclass(frozen=True)
class WanFacts:
    """Six nodes, ``datacenters={"dc1": 3, "dc2": 3}`` (n1-n3, n4-n6), a LAN latency of 1-5 ms
    and ``wan_ms`` between the datacenters. Alice is near n1 (dc1), Bob near n4 (dc2)."""

    replicas: dict                # datacenter -> the replicas of the key there
    latency_ms: dict              # level -> Alice's write latency before the partition
    during: dict                  # level -> (Alice's outcome, Bob's outcome) during the split
    values_during: dict           # LOCAL_QUORUM reads: {"alice": ..., "bob": ...}
    values_after: dict            # LOCAL_ONE reads after the heal
    hints_replayed: int
    cas_during: dict              # Bob's cas during the split: serial level -> outcome
    cluster: Any = field(repr=False, compare=False)


LEVELS_SHOWN = ("local_one", "local_quorum", "quorum", "each_quorum")


def wan_partition(seed: int = 1, *, wan_ms: int = 40, key: str = "cart") -> WanFacts:
    """Writes at each level before the split, the same levels on both sides during it, one
    LOCAL_QUORUM write per side, then the heal."""
    c = Cluster(mode="ap", nodes=6, seed=seed, latency=Uniform(1, 5),
                datacenters={"dc1": 3, "dc2": 3}, wan_latency_ms=wan_ms)
    alice, bob = c.client("alice", near="n1"), c.client("bob", near="n4")
    replicas = {}
    for node in c.replicas_for(key):
        replicas.setdefault(c.datacenter_of(node), []).append(node)
    latency = {lv: alice.put(key, "empty", consistency=lv).latency_ms for lv in LEVELS_SHOWN}
    c.partition(["n1", "n2", "n3", "alice"], ["n4", "n5", "n6", "bob"])
    # each side's failure detector convicts the other datacenter (phi 8: about 18 heartbeat
    # intervals of silence, more on a young detector): until then a remote replica is only
    # silent, and QUORUM would time out instead of being refused as unavailable
    for side, other in ((["n1", "n2", "n3"], ["n4", "n5", "n6"]),
                        (["n4", "n5", "n6"], ["n1", "n2", "n3"])):
        wait_seen_down(c, other, by=side)
    during = {lv: (alice.put(f"{key}:{lv}", "a", consistency=lv).outcome,
                   bob.put(f"{key}:{lv}", "b", consistency=lv).outcome) for lv in LEVELS_SHOWN}
    alice.put(key, "alice's", consistency="local_quorum")
    c.run_for(10)
    bob.put(key, "bob's", consistency="local_quorum")
    values_during = {"alice": alice.get(key, consistency="local_quorum").value,
                     "bob": bob.get(key, consistency="local_quorum").value}
    cas_during = {serial: bob.cas(f"{key}:{serial}", None, "bob", serial_consistency=serial,
                                  consistency="local_quorum").outcome
                  for serial in ("serial", "local_serial")}
    c.heal()
    c.run_for(2000)
    values_after = {"alice": alice.get(key, consistency="local_one").value,
                    "bob": bob.get(key, consistency="local_one").value}
    return WanFacts({dc: tuple(ns) for dc, ns in sorted(replicas.items())}, latency, during,
                    values_during, values_after, c.stats()["hints_replayed"], cas_during, c)
