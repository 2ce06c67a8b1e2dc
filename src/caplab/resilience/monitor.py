"""What an operator's dashboard shows, as plain rows: per time bucket, the request rate, the
error rate, p50 and p99 latency, fallbacks, and the breaker's state, from a caller's records and
its breaker's transitions (views draw them; nothing here imports a UI library).

Example:
    >>> rows = call_series([{"complete_ms": 10, "latency_ms": 4, "outcome": "ok",
    ...                      "fallback": False, "attempts": 1}], bucket_ms=1000)
    >>> rows[0]["calls"], rows[0]["error_rate"], rows[0]["p50_ms"]
    (1, 0.0, 4)
"""

from __future__ import annotations

import math

from ..errors import ConfigError
from .breaker import CLOSED

__all__ = ["call_series", "breaker_series", "percentile"]


def percentile(values, q: float):
    """The ``q``-th percentile (nearest rank) of ``values``, or None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = math.ceil(q / 100 * len(ordered))        # nearest rank: the smallest covering q %
    return ordered[max(0, min(len(ordered), rank) - 1)]


def _check_bucket(bucket_ms) -> int:
    if isinstance(bucket_ms, bool) or not isinstance(bucket_ms, int) or bucket_ms < 1:
        raise ConfigError(f"bucket_ms must be a whole number of ms >= 1, got {bucket_ms!r}")
    return bucket_ms


def call_series(records, *, bucket_ms: int = 1000) -> list[dict]:
    """Calls completed per bucket: ``t_ms`` (bucket start), ``calls``, ``rate_per_s``,
    ``errors`` (not ``ok`` in the history), ``error_rate``, ``fallbacks``, ``attempts``,
    ``p50_ms``, ``p99_ms``. Buckets without calls are listed with zeros.

    Args:
        records: a caller's ``records`` (or several callers', concatenated).
        bucket_ms: the bucket width.

    Raises:
        ConfigError: a bucket width < 1.
    """
    bucket_ms = _check_bucket(bucket_ms)
    by_bucket: dict[int, list[dict]] = {}
    for r in records:
        by_bucket.setdefault(r["complete_ms"] // bucket_ms, []).append(r)
    if not by_bucket:
        return []
    rows = []
    for b in range(min(by_bucket), max(by_bucket) + 1):
        rs = by_bucket.get(b, [])
        latencies = [r["latency_ms"] for r in rs]
        errors = sum(r["outcome"] != "ok" for r in rs)
        rows.append({"t_ms": b * bucket_ms, "calls": len(rs),
                     "rate_per_s": len(rs) * 1000 / bucket_ms, "errors": errors,
                     "error_rate": errors / len(rs) if rs else 0.0,
                     "fallbacks": sum(bool(r["fallback"]) for r in rs),
                     "attempts": sum(r["attempts"] for r in rs),
                     "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)})
    return rows


def breaker_series(transitions, *, until_ms: int, bucket_ms: int = 1000) -> list[dict]:
    """The breaker's state at the end of each bucket from 0 to ``until_ms``: rows
    ``{"t_ms", "state"}`` (a breaker starts CLOSED).

    Args:
        transitions: a breaker's ``transitions`` (or their ``record()`` dicts).
    """
    bucket_ms = _check_bucket(bucket_ms)
    changes = sorted(((t["time_ms"], i, t["to"]) if isinstance(t, dict)
                      else (t.time_ms, i, t.to_state)) for i, t in enumerate(transitions))
    rows, state, k = [], CLOSED, 0
    for start in range(0, until_ms, bucket_ms):
        while k < len(changes) and changes[k][0] < start + bucket_ms:
            state = changes[k][2]
            k += 1
        rows.append({"t_ms": start, "state": state})
    return rows
