"""Speculative read retry (Cassandra's table option ``speculative_retry``): when the replicas a
read asked are slow to answer, the coordinator sends the read to one more replica instead of
waiting for the slow one, which cuts the tail of read latency under a slow node.

Values (any case), as Cassandra's:

* ``"99p"`` (the default, as Cassandra's table default ``speculative_retry = '99p'``, shown as
  ``'99PERCENTILE'`` before 4.0), or any ``"Np"`` / ``"NPERCENTILE"``: speculate once a read has
  waited longer than the N-th percentile of this coordinator's recent replica read latencies
  (the last :data:`WINDOW` answers). Until it has :data:`MIN_SAMPLES` of them the threshold is
  half of ``request_timeout_ms``, as Cassandra's, whose threshold starts at half of
  ``read_request_timeout`` before its latency histogram has samples.
* ``"Xms"`` (e.g. ``"20ms"``): speculate once a read has waited X ms.
* ``"always"``: send the extra read at once.
* ``"none"`` (or ``"never"``, Cassandra 4.0's name for it): never; a slow or crashed replica
  makes the read slow, or time out until the failure detector convicts it.
* ``"min(99p,50ms)"`` / ``"max(99p,50ms)"`` (Cassandra 4.0's hybrid policy, CASSANDRA-14293):
  the smaller or larger of a percentile and a fixed time. ``min`` bounds the percentile, which
  a replica that stays dead drags up (its late answers join the window).

Deviation: Cassandra takes the percentile from the table's coordinator read latency histogram
(every read of the table through this node, recomputed periodically); the lab takes it from
the coordinator's own recent replica answers, at once.

One extra replica per read, the closest not yet asked that counts towards the level (Cassandra
sends one extra data request). Reads in ``read_repair="async"`` mode already ask every live
replica, so they never speculate. Counted in ``c.stats()["speculative_retries"]``.

Example:
    >>> parse_speculative_retry("99p"), parse_speculative_retry("20ms")
    (('p', 99.0), ('ms', 20))
    >>> parse_speculative_retry("NEVER")
    ('none',)
    >>> parse_speculative_retry("MIN(99p,50ms)")
    ('min', ('p', 99.0), ('ms', 50))
"""

from __future__ import annotations

import math
import re
from collections import deque

from ...errors import ConfigError
from .messages import ReadRequest

__all__ = ["parse_speculative_retry", "SpeculationMixin", "WINDOW", "MIN_SAMPLES"]

#: replica answers a coordinator keeps for its percentile
WINDOW = 100
#: answers needed before a percentile threshold is used (before: half of request_timeout_ms)
MIN_SAMPLES = 10


def parse_speculative_retry(value) -> tuple:
    """``("none",)``, ``("always",)``, ``("ms", X)``, ``("p", N)``, or ``("min" | "max", a, b)``
    with ``a`` and ``b`` one percentile and one time, from a Cassandra-style value.

    Raises:
        ConfigError: anything else, naming the value and the forms allowed.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        m = re.fullmatch(r"(min|max)\((.+),(.+)\)", text.replace(" ", ""))
        if m:
            parts = [_simple(m.group(2)), _simple(m.group(3))]
            if sorted(p[0] for p in parts if p) == ["ms", "p"]:
                return (m.group(1), *parts)
        if text in ("none", "never", "always"):
            return ("none",) if text == "never" else (text,)
        simple = _simple(text)
        if simple:
            return simple
    raise ConfigError(f"speculative_retry={value!r} is not allowed; choose 'none' (or 'never'), "
                      f"'always', 'Xms' (e.g. '20ms', X >= 1), 'Np' (e.g. '99p', 0 < N < 100; "
                      f"Cassandra's default) or 'min(Np,Xms)' / 'max(Np,Xms)'")


def _simple(text: str) -> tuple | None:
    """A percentile or a time inside ``min(...)`` / ``max(...)``, else None."""
    m = re.fullmatch(r"(\d+)ms", text)
    if m and int(m.group(1)) >= 1:
        return ("ms", int(m.group(1)))
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(p|percentile)", text)
    if m and 0 < float(m.group(1)) < 100:
        return ("p", float(m.group(1)))
    return None


class SpeculationMixin:
    """Speculative retry on a :class:`~caplab.kv.ap.node.RingNode` coordinator."""

    def note_read_latency(self, st, src: str) -> None:
        """Remember how long replica ``src`` took to answer (the percentile's window)."""
        window = getattr(self, "read_latencies", None)
        if window is None:
            window = self.read_latencies = deque(maxlen=WINDOW)
        window.append(self.now - st.started)

    def speculation_delay(self, rule=None):
        """ms after which a read speculates, or None (never)."""
        rule = rule or self.backend.speculation
        if rule[0] in ("min", "max"):
            pick = min if rule[0] == "min" else max
            return pick(self.speculation_delay(rule[1]), self.speculation_delay(rule[2]))
        if rule[0] == "none":
            return None
        if rule[0] == "always":
            return 0
        if rule[0] == "ms":
            return rule[1]
        samples = sorted(getattr(self, "read_latencies", None) or ())
        if len(samples) < MIN_SAMPLES:
            # Cassandra: the threshold starts at half of read_request_timeout until the
            # table's latency histogram has samples (ColumnFamilyStore.sampleReadLatency).
            return max(1, self.backend.options["request_timeout_ms"] // 2)
        # +1: only a read that waited *longer* than the percentile speculates; an answer due
        # in the very ms of the threshold arrives first (time here is whole ms, so a steady
        # latency would otherwise make every read tie with its own percentile and speculate).
        return samples[max(0, math.ceil(rule[1] / 100 * len(samples)) - 1)] + 1

    def speculate_later(self, req_id: int, st, alive) -> None:
        """Arm the speculative retry of read ``req_id`` (blocking and "off" modes)."""
        delay = None if st.mode == "async" else self.speculation_delay()
        if delay is None:
            return
        counted = {dc for dc, _ in st.required.counts}
        dc_of = self.backend.dc_of
        st.spare = [n for n in alive if n not in st.targets
                    and (None in counted or dc_of.get(n) in counted)]
        if not st.spare:
            return
        if delay == 0:
            self.on_speculate(req_id)
        else:
            self.set_timer(delay, self.on_speculate, req_id)

    def on_speculate(self, req_id: int) -> None:
        st = self.requests.get(req_id)
        if st is None or getattr(st, "spare", None) is None or st.merged is not None \
                or st.replied or not st.spare:
            return
        node = st.spare.pop(0)
        st.targets.append(node)
        self.backend.counters["speculative_retries"] += 1
        self.trace("speculate", f"read {st.key}: {len(st.responses)} answers after "
                                f"{self.now - st.started} ms; asking {node} too", node,
                   key=st.key, target=node, waited_ms=self.now - st.started)
        self.send(node, ReadRequest(req_id, st.key))
