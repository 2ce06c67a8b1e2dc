"""Monitoring: the plain time series an operator's dashboard shows, computed from what the
services recorded (request rate, error rate, p50 and p99 latency, queue length, instances,
utilisation, per window), and the summary of a whole run (latency percentiles, throughput,
errors, availability, cost).

Everything here is plain Python data (lists and dicts of numbers), read from the load clients'
per-request records, the instances' queue timelines and the deployment's change log; a view
(:mod:`caplab.viz.services`) draws it. Latency percentiles are nearest-rank (the value at rank
``ceil(p * n)``), as Prometheus-free dashboards and the SRE book's examples use them.
"""

from __future__ import annotations

import bisect
import math

from ..errors import ConfigError
from .autoscaler import busy_share

__all__ = ["percentile", "time_series", "summary"]


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (``p`` in [0, 100]) of ``values`` (None if empty).

    Example:
        >>> percentile([5, 1, 3, 2, 4], 50), percentile([5, 1, 3, 2, 4], 99)
        (3, 5)
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _requests(deployment, now: int):
    """(sent_ms, end_ms, outcome) of every request of every load client."""
    for client in deployment.loads:
        for i in range(client.sent):
            yield client.sent_ms[i], client.end_ms[i], client.outcome(i, now)


def time_series(deployment, *, window_ms: int = 1_000, tier: str | None = None) -> dict:
    """Per-window series for a dashboard, from the deployment's records.

    Args:
        deployment: a :class:`~caplab.services.deployment.Deployment`.
        window_ms: the window width.
        tier: queue length, instances and utilisation of this tier only (None: all tiers).

    Returns:
        ``{"t_ms": [window ends], "request_rate": [per s], "error_rate": [share of the
        window's requests that failed], "p50_ms": [...], "p99_ms": [...] (None in an empty
        window), "queue_length": [sum over instances at the window's end], "instances":
        [live], "utilisation": [mean over ready instances], "marks": [(start, end, label)],
        "faults": [(start, end, label)] (crashes through the deployment), "detected":
        [(start, end, label)] (instances a balancer held down, whoever crashed them)}``.
        Requests are placed in the window they were sent in.

    Raises:
        ConfigError: a bad window, or an unknown tier.

    Example:
        >>> from caplab.services import sale_spike
        >>> s = time_series(sale_spike("scale-up")["deployment"], window_ms=1000)
        >>> s["request_rate"][30], s["p99_ms"][30]      # 30 s in: the sale spike
        (217.0, 36)
    """
    if isinstance(window_ms, bool) or not isinstance(window_ms, int) or window_ms < 1:
        raise ConfigError(f"window_ms must be a whole number >= 1, got {window_ms!r}")
    tiers = [deployment.tier(tier)] if tier is not None else list(deployment.tiers.values())
    now = deployment.now
    ends = list(range(window_ms, now + 1, window_ms))
    sent = [0] * len(ends)
    errors = [0] * len(ends)
    latencies: list[list[int]] = [[] for _ in ends]
    for sent_ms, end_ms, outcome in _requests(deployment, now):
        k = sent_ms // window_ms
        if k >= len(ends) or outcome == "pending":
            continue
        sent[k] += 1
        if outcome == "ok":
            latencies[k].append(end_ms - sent_ms)
        else:
            errors[k] += 1
    instances = [i for t in tiers for i in t.instances]
    names = {t.name for t in tiers}
    counts = [(t, n) for t, name, n in _tier_totals(deployment.counts, names)]
    count_times = [t for t, _ in counts]
    series = {"t_ms": ends, "request_rate": [n * 1000 / window_ms for n in sent],
              "error_rate": [e / n if n else 0.0 for e, n in zip(errors, sent)],
              "p50_ms": [percentile(x, 50) for x in latencies],
              "p99_ms": [percentile(x, 99) for x in latencies],
              "queue_length": [], "instances": [], "utilisation": [],
              "marks": list(deployment.marks),
              "faults": [(s, e if e is not None else now, label)
                         for s, e, label in deployment.faults],
              "detected": _detected_down(tiers, now)}
    for end in ends:
        start = end - window_ms
        series["queue_length"].append(sum(_queue_at(i, end) for i in instances))
        k = bisect.bisect_right(count_times, end) - 1
        series["instances"].append(counts[k][1] if k >= 0 else 0)
        serving = [i for i in instances if i.ready_ms is not None and i.ready_ms < end
                   and (i.retired_ms is None or i.retired_ms > start)]
        shares = [busy_share(i, max(start, i.ready_ms), end) for i in serving]
        series["utilisation"].append(sum(shares) / len(shares) if shares else 0.0)
    return series


def _detected_down(tiers, now: int) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` while a balancer held an instance down (whoever crashed it:
    the operator, a panel or the nemesis): what the operator's monitoring saw."""
    bands = []
    for tier in tiers:
        since: dict[str, int] = {}
        retired = {i.name: i.retired_ms for i in tier.instances if i.retired_ms is not None}
        for t, name, state in tier.balancer.health_log:
            if state == "down":
                since[name] = t
            elif name in since:
                bands.append((since.pop(name), t, f"{name} detected down"))
        # An instance replaced by the autoscaler stays down until it is retired, not forever.
        bands += [(t, max(t, min(now, retired.get(name, now))), f"{name} detected down")
                  for name, t in sorted(since.items())]
    return sorted(bands)


def _tier_totals(counts, names):
    """The deployment's (time, tier, live) log as (time, tier, live in all ``names``)."""
    current: dict[str, int] = {}
    for t, name, n in counts:
        if name in names:
            current[name] = n
            yield t, name, sum(current.values())


def _queue_at(instance, t_ms: int) -> int:
    points = instance.timeline
    k = bisect.bisect_right(points, t_ms, key=lambda p: p[0]) - 1
    if k < 0 or instance.launched_ms is None or instance.launched_ms > t_ms:
        return 0
    return points[k][1]


def summary(deployment, *, from_ms: int = 0, to_ms: int | None = None) -> dict:
    """One run in numbers: the requests sent between ``from_ms`` and ``to_ms``.

    Returns:
        ``{"requests", "ok", "errors", "error_rate", "availability" (share ok),
        "throughput_per_s" (ok per second), "p50_ms", "p95_ms", "p99_ms", "mean_ms",
        "cost_usd", "cost_per_hour" (the fleet's mean hourly rate over the run)}``.

    Example:
        >>> from caplab.services import sale_spike
        >>> summary(sale_spike("scale-up")["deployment"])["errors"]
        0
    """
    now = deployment.now
    to_ms = now if to_ms is None else to_ms
    if to_ms <= from_ms:
        raise ConfigError(f"need from_ms < to_ms, got from_ms={from_ms}, to_ms={to_ms}")
    latencies, errors, total = [], 0, 0
    for sent_ms, end_ms, outcome in _requests(deployment, now):
        if not from_ms <= sent_ms < to_ms or outcome == "pending":
            continue
        total += 1
        if outcome == "ok":
            latencies.append(end_ms - sent_ms)
        else:
            errors += 1
    cost = deployment.cost_usd()
    return {"requests": total, "ok": len(latencies), "errors": errors,
            "error_rate": errors / total if total else 0.0,
            "availability": len(latencies) / total if total else 1.0,
            "throughput_per_s": len(latencies) * 1000 / (to_ms - from_ms),
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
            "mean_ms": sum(latencies) / len(latencies) if latencies else None,
            "cost_usd": cost, "cost_per_hour": cost / (now / 3_600_000) if now else 0.0}
