"""Scenario of notebook 04's failure-detection cells: how long a crashed node keeps receiving
requests, under Cassandra's phi accrual detector (the lab's default) and under the fixed
timeout detector (``failure_detector="timeout"``).

A coordinator sends each write to every replica it believes up. Until its failure detector
convicts a crashed replica, it keeps sending that replica mutations (which are lost), and only
hints them after the request timeout; once it convicts, it hints at once and sends nothing.
Phi accrual at Cassandra's default ``phi_convict_threshold`` of 8 convicts after ``8 x ln 10 ~
18.4`` mean heartbeat intervals of silence (Cassandra's ``FailureDetector``: exponential
inter-arrival model, ``PHI_FACTOR = 1 / ln 10``), about 1.8 s at the lab's 100 ms gossip
interval (18 s at Cassandra's one-second gossip); the mean is the detector's own, so a young
detector whose window still holds the initial 200 ms interval waits longer. The fixed timeout
convicts after ``failure_timeout_ms`` (400 ms, four heartbeats).

Reads are spared that wait by Cassandra's speculative retry (table default ``'99p'``): a read
whose replica has not answered within the 99th percentile of read latency asks another one
(:func:`reads_before_conviction`).

Example:
    >>> from caplab.course.ap_detection import crashed_node_exposure
    >>> f = crashed_node_exposure(seed=1, detector="timeout")
    >>> 400 <= f.conviction_ms["n1"] <= 520, f.sent_after_conviction
    (True, 0)
    >>> f = crashed_node_exposure(seed=1)          # phi 8, the default
    >>> 1800 <= f.conviction_ms["n1"] <= 2100
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import UnknownNameError
from ..kv import Cluster
from ..kv.probes import events, key_where

__all__ = ["ExposureFacts", "crashed_node_exposure", "DETECTORS", "ReadsFacts",
           "reads_before_conviction"]

#: the detectors compared: the lab's fixed timeout, Cassandra's phi accrual
DETECTORS = ("timeout", "phi")


@dataclass(frozen=True)
class ExposureFacts:
    """A replica crashes under a steady write load; what each coordinator did about it.

    ``conviction_ms``: coordinator -> ms from the crash to its detector's conviction of the
    crashed node (None if it never convicted within the run). ``requests_sent``: coordinator ->
    mutations it sent to the crashed node after the crash. ``sent_after_conviction``: how many
    of those left after the sender had convicted it (0: conviction stops them).
    ``predicted_ms``: the silence the detector needs in theory (``failure_timeout_ms``, or
    ``threshold x ln 10 x gossip_interval_ms`` for phi). ``mean_interval_ms``: coordinator ->
    the mean heartbeat interval of the crashed node in its phi window at the crash (None with
    the timeout detector); ``convicts_after_ms``: coordinator -> the silence its detector
    needed at the crash (``threshold x ln 10 x`` that mean), read from
    ``Cluster.failure_detector_info``.
    """

    detector: str
    crashed: str
    crash_ms: int
    gossip_interval_ms: int
    predicted_ms: float
    conviction_ms: dict
    requests_sent: dict
    sent_after_conviction: int
    writes: int
    writes_ok: int
    mean_interval_ms: dict
    convicts_after_ms: dict
    cluster: Any = field(repr=False, compare=False)

    @property
    def max_conviction_ms(self) -> int | None:
        """The longest any coordinator took to convict (None if one never did)."""
        times = list(self.conviction_ms.values())
        return None if None in times else max(times)

    @property
    def total_requests_sent(self) -> int:
        """Mutations sent to the crashed node, by every coordinator together."""
        return sum(self.requests_sent.values())


def crashed_node_exposure(seed: int = 1, *, detector: str = "phi", nodes: int = 5,
                          every_ms: int = 50, run_ms: int = 3000) -> ExposureFacts:
    """Crash one replica while a client near every other node writes a key it holds at ONE.

    5 nodes, RF 3; after 2 s of heartbeats (phi's window fills) ``n{nodes}`` crashes; every
    ``every_ms`` each client writes the key through its own node (the coordinator) for
    ``run_ms``. Each coordinator's conviction time is read from the trace, and so is every
    mutation it sent to the crashed node.

    Args:
        seed: the simulation seed.
        detector: "phi" (Cassandra's phi accrual at ``phi_convict_threshold`` 8, the lab's
            default) or "timeout" (``failure_timeout_ms``).
        nodes: ring size (>= 3).
        every_ms: the interval between a client's writes.
        run_ms: how long the writes go on after the crash.

    Returns:
        :class:`ExposureFacts`.

    Raises:
        UnknownNameError: ``detector`` is not one of :data:`DETECTORS`.

    Example:
        >>> crashed_node_exposure(seed=1, detector="phi").conviction_ms["n2"]  # doctest: +SKIP
        1850
    """
    if detector not in DETECTORS:
        raise UnknownNameError("detector", detector, list(DETECTORS))
    c = Cluster(mode="ap", nodes=nodes, seed=seed, replication_factor=3,
                failure_detector=detector)
    crashed = c.nodes[-1]
    key = key_where(c, lambda p: crashed in p, prefix="cart:")
    coordinators = [n for n in c.nodes if n != crashed]
    clients = [c.client(f"client-{n}", near=n) for n in coordinators]
    c.run_for(2000)                      # heartbeats fill the phi detector's window
    crash_ms = c.now
    info = {n: c.failure_detector_info(n)[crashed] for n in coordinators}
    c.crash(crashed)
    opts = c.backend.options
    handles, last = [], {}
    while c.now < crash_ms + run_ms:
        for cl in clients:               # one write in flight per client
            if cl.name not in last or last[cl.name].done:
                last[cl.name] = cl.put_async(key, f"{cl.name}@{c.now}", consistency="one")
                handles.append(last[cl.name])
        c.run_for(every_ms)
    c.run_for(opts["request_timeout_ms"])
    down = {}
    for e in events(c, "detector", action="down", since_ms=crash_ms):
        if e.data.get("target") == crashed:
            down.setdefault(e.node, e.time_ms)
    sent = {n: [] for n in coordinators}
    for e in c.sim.trace.of_kind("send"):
        if e.peer == crashed and e.node in sent and e.time_ms >= crash_ms \
                and e.msg.kind == "Mutation":
            sent[e.node].append(e.time_ms)
    late = sum(1 for n, times in sent.items() for t in times if n in down and t > down[n])
    gossip = opts["gossip_interval_ms"]
    predicted = (opts["phi_convict_threshold"] * math.log(10) * gossip
                 if detector == "phi" else opts["failure_timeout_ms"])
    return ExposureFacts(detector, crashed, crash_ms, gossip, predicted,
                         {n: (down[n] - crash_ms if n in down else None) for n in coordinators},
                         {n: len(times) for n, times in sent.items()}, late, len(handles),
                         sum(1 for h in handles if h.done and h.result.ok),
                         {n: i["mean_interval_ms"] for n, i in info.items()},
                         {n: i["convicts_after_ms"] for n, i in info.items()}, c)


@dataclass(frozen=True)
class ReadsFacts:
    """Reads at ONE that ask a crashed replica before the coordinator's detector convicts it.

    ``reads``: how many; ``answered``: how many came back ``ok`` (with the value written);
    ``timed_out``: how many failed with a timeout; ``speculated``: speculative retries sent;
    ``max_latency_ms``: the slowest answered read (None if none was); ``still_alive``: the
    coordinator still thought the crashed node up after the last read.
    """

    speculative_retry: str
    crashed: str
    key: str
    reads: int
    answered: int
    timed_out: int
    speculated: int
    max_latency_ms: int | None
    still_alive: bool
    cluster: Any = field(repr=False, compare=False)


def reads_before_conviction(seed: int = 1, *, speculative_retry: str = "99p",
                            every_ms: int = 50, run_ms: int = 1500) -> ReadsFacts:
    """A replica crashes; a client reads at ONE a key it is the first replica of, until just
    before the phi detector convicts it.

    5 nodes, RF 3, 2 ms latency, the default phi detector. A client near ``n1`` reads a key whose
    first replica is ``n5`` (``n1`` holds no copy, so ``n1`` asks ``n5``) 20 times with every node
    up, then ``n5`` crashes and she reads it every ``every_ms`` for ``run_ms`` (phi 8 convicts
    after about 1.9 s). With Cassandra's default ``speculative_retry='99p'`` the coordinator asks
    a second replica once ``n5`` is slower than its recent 99th percentile; with ``"none"`` each
    read waits out the request timeout.

    Args:
        seed: the simulation seed.
        speculative_retry: the ring's option ("99p", the default; "none"; "20ms" ...).
        every_ms: the interval between reads after the crash.
        run_ms: how long they go on (keep it below the conviction, about 1.9 s).

    Returns:
        :class:`ReadsFacts`.

    Raises:
        ConfigError: a bad ``speculative_retry`` (see :mod:`caplab.kv.ap.speculation`).

    Example:
        >>> f = reads_before_conviction(seed=1)
        >>> f.answered == f.reads, reads_before_conviction(seed=1, speculative_retry="none").answered
        (True, 0)
    """
    c = Cluster(mode="ap", nodes=5, seed=seed, latency=2, speculative_retry=speculative_retry)
    crashed = c.nodes[-1]
    key = key_where(c, lambda p: p[0] == crashed and c.nodes[0] not in p, prefix="cart:")
    reader = c.client("reader", near=c.nodes[0])
    reader.put(key, "v", consistency="all")
    c.run_for(2000)                      # heartbeats fill the phi detector's window
    for _ in range(20):                  # the coordinator learns the healthy read latency
        reader.get(key, consistency="one")
    crash_ms = c.now
    c.crash(crashed)
    results = []
    while c.now < crash_ms + run_ms:
        results.append(reader.get(key, consistency="one"))
        c.run_for(every_ms)
    answered = [r for r in results if r.ok and r.value == "v"]
    return ReadsFacts(speculative_retry, crashed, key, len(results), len(answered),
                      sum(1 for r in results if not r.ok and r.error.startswith("timeout")),
                      c.stats()["speculative_retries"],
                      max((r.latency_ms for r in answered), default=None),
                      c.failure_detector_info(c.nodes[0])[crashed]["alive"], c)
