"""Failure detectors: who was heard from when, and whom to suspect (crashes, partitions, slow
links all look alike to one: silence).

A node calls :meth:`FailureDetector.heard` whenever a message from a peer arrives, and asks
:meth:`~FailureDetector.is_alive`, :meth:`~FailureDetector.alive` or
:meth:`~FailureDetector.suspects` when it must decide. Two flavours:

* :class:`FailureDetector`: a fixed timeout. A peer is suspected once nothing has been heard from
  it for ``timeout_ms`` (MongoDB's replica set: a member not heard from within
  ``electionTimeoutMillis`` counts as down).
* :class:`PhiAccrualDetector`: the phi accrual detector of Hayashibara, Defago, Yared and
  Katayama ("The phi accrual failure detector", SRDS 2004) as Apache Cassandra implements it
  (``org.apache.cassandra.gms.FailureDetector``): phi is a suspicion level computed from the
  history of heartbeat inter-arrival times, and a peer is convicted when phi exceeds
  ``threshold`` (Cassandra's ``phi_convict_threshold``, default 8).

Like every failure detector in an asynchronous system, both can be wrong: a slow or partitioned
peer is suspected although it is up (Chandra and Toueg: failure detectors are unreliable). A
detector is volatile state: a node that crashes forgets it (``clear()``).
"""

from __future__ import annotations

import math
from collections import deque

from ..errors import ConfigError

__all__ = ["FailureDetector", "PhiAccrualDetector"]


def _positive_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value \
            or math.isinf(value) or value <= 0:
        raise ConfigError(f"{name} must be a finite number > 0, got {value!r}")
    return value


class FailureDetector:
    """A timeout failure detector: a peer is suspected once silent for ``timeout_ms``.

    Args:
        timeout_ms: silence (ms since last heard) at which a peer becomes suspected: alive while
            ``now - last_heard < timeout_ms``.
        nodes: the peers to monitor (``alive``/``suspects`` report on these, plus any peer
            heard from since). A peer never heard from is suspected, unless ``assume_heard_at``
            is given.
        assume_heard_at: for peers never heard from, pretend they were heard at this time (a
            node that trusts its peers at start-up). None: never-heard peers are suspected.

    Raises:
        ConfigError: ``timeout_ms`` is not a positive number.

    Example:
        >>> fd = FailureDetector(100, nodes=["n2", "n3"])
        >>> fd.heard("n2", 50)
        >>> fd.alive(120), fd.suspects(120), fd.suspects(150)
        (['n2'], ['n3'], ['n2', 'n3'])
    """

    def __init__(self, timeout_ms: float, *, nodes=(), assume_heard_at: int | None = None):
        self.timeout_ms = _positive_number("timeout_ms", timeout_ms)
        self.assume_heard_at = assume_heard_at
        self._nodes: dict[str, None] = dict.fromkeys(nodes)   # insertion-ordered set
        self._last: dict[str, int] = {}

    # -- what a node reports ---------------------------------------------------------------
    def heard(self, node: str, now: int) -> None:
        """A message from ``node`` arrived at ``now`` (any message is evidence of life)."""
        self._last[node] = now

    def trust(self, node: str, now: int) -> None:
        """Treat ``node`` as heard at ``now`` without a real arrival: a grace period (at start,
        when a peer joins, or when a new primary gives every member a full timeout)."""
        self._last[node] = now

    def monitor(self, node: str) -> None:
        """Add ``node`` to the monitored peers (a joining node) without hearing from it."""
        self._nodes[node] = None

    def forget(self, node: str) -> None:
        """Stop monitoring ``node`` (it left the cluster) and drop what was heard from it."""
        self._nodes.pop(node, None)
        self._last.pop(node, None)

    def clear(self) -> None:
        """Forget everything heard (the detector is volatile: a crash loses it)."""
        self._last.clear()

    # -- what a node asks ------------------------------------------------------------------
    def last_heard(self, node: str) -> int | None:
        """When ``node`` was last heard from (or trusted), None if never."""
        last = self._last.get(node)
        return self.assume_heard_at if last is None else last

    def is_alive(self, node: str, now: int) -> bool:
        """Whether ``node`` is believed up at ``now``."""
        last = self._last.get(node, self.assume_heard_at)
        return last is not None and now - last < self.timeout_ms

    def alive(self, now: int) -> list[str]:
        """The monitored peers believed up at ``now``, sorted."""
        return [n for n in self._known() if self.is_alive(n, now)]

    def suspects(self, now: int) -> list[str]:
        """The monitored peers suspected at ``now``, sorted."""
        return [n for n in self._known() if not self.is_alive(n, now)]

    def _known(self) -> list[str]:
        return sorted(set(self._nodes) | set(self._last))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(timeout_ms={self.timeout_ms}, heard={self._last})"


class PhiAccrualDetector(FailureDetector):
    """The phi accrual failure detector, as in Apache Cassandra.

    For each peer it keeps a window of the last ``window`` inter-arrival times and computes
    ``phi(now) = -log10(P(silence >= now - last))``. Cassandra models inter-arrival times as
    exponential, so ``phi = (now - last) / mean * log10(e)``; a peer is convicted when
    ``phi > threshold``. With heartbeats every ``T`` ms, ``threshold=8`` convicts after about
    ``8 * ln(10) * T`` = 18.4 heartbeat intervals of silence; a jittery link raises the mean
    and so the patience. Intervals longer than ``max_interval_ms`` (a pause, a partition) are
    left out of the window, and the first arrival seeds it with ``initial_interval_ms``
    (Cassandra: ``fd_max_interval_ms`` and ``fd_initial_value_ms``, both 2 s by default).

    Sources: Hayashibara et al., SRDS 2004; Cassandra's ``gms/FailureDetector.java``
    (``ArrivalWindow``, ``PHI_FACTOR = 1 / ln 10``, window of 1000 samples) and the DataStax
    docs, "Failure detection and recovery" (``phi_convict_threshold``, default 8).

    Args:
        threshold: conviction threshold on phi (Cassandra's ``phi_convict_threshold``).
        window: how many inter-arrival times to keep.
        initial_interval_ms: the interval assumed at the first arrival.
        max_interval_ms: longer intervals are not recorded.
        nodes, assume_heard_at: as for :class:`FailureDetector`.

    Raises:
        ConfigError: a parameter is not a positive number.

    Example:
        >>> fd = PhiAccrualDetector(threshold=8, initial_interval_ms=100)
        >>> for t in range(0, 1000, 100):
        ...     fd.heard("n2", t)
        >>> round(fd.phi("n2", 1000), 2), fd.is_alive("n2", 1000), fd.is_alive("n2", 3000)
        (0.43, True, False)
    """

    def __init__(self, threshold: float = 8.0, *, window: int = 1000,
                 initial_interval_ms: float = 2000, max_interval_ms: float = 2000,
                 nodes=(), assume_heard_at: int | None = None):
        threshold = _positive_number("threshold", threshold)
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ConfigError(f"window must be an integer >= 1, got {window!r}")
        initial = _positive_number("initial_interval_ms", initial_interval_ms)
        max_interval = _positive_number("max_interval_ms", max_interval_ms)
        # timeout_ms is the silence that convicts with the initial mean (for display only).
        super().__init__(threshold * math.log(10) * initial, nodes=nodes,
                         assume_heard_at=assume_heard_at)
        self.threshold = threshold
        self.window = window
        self.initial_interval_ms = initial
        self.max_interval_ms = max_interval
        self._intervals: dict[str, deque] = {}
        self._sums: dict[str, float] = {}

    def heard(self, node: str, now: int) -> None:
        last = self._last.get(node)
        if last is None or node not in self._intervals:
            # The first real arrival seeds the window (Cassandra's ArrivalWindow), also after
            # a trust(): the time since a grace period began is not an inter-arrival time (a
            # 5 ms "interval" at start-up would convict the peer after 100 ms of silence).
            self._record(node, self.initial_interval_ms)
        elif now - last <= self.max_interval_ms:
            self._record(node, now - last)
        self._last[node] = now

    def _record(self, node: str, interval: float) -> None:
        samples = self._intervals.get(node)
        if samples is None:
            samples = self._intervals[node] = deque()
            self._sums[node] = 0.0
        if len(samples) == self.window:
            self._sums[node] -= samples.popleft()
        samples.append(interval)
        self._sums[node] += interval

    def mean_interval_ms(self, node: str) -> float:
        """The mean inter-arrival time of ``node`` (``initial_interval_ms`` if none yet)."""
        samples = self._intervals.get(node)
        if not samples:
            return self.initial_interval_ms
        return self._sums[node] / len(samples)

    def phi(self, node: str, now: int) -> float:
        """The suspicion level of ``node`` at ``now`` (inf if never heard from)."""
        last = self.last_heard(node)
        if last is None:
            return math.inf
        return max(0, now - last) / self.mean_interval_ms(node) / math.log(10)

    def is_alive(self, node: str, now: int) -> bool:
        return self.phi(node, now) <= self.threshold

    def forget(self, node: str) -> None:
        super().forget(node)
        self._intervals.pop(node, None)
        self._sums.pop(node, None)

    def clear(self) -> None:
        super().clear()
        self._intervals.clear()
        self._sums.clear()
