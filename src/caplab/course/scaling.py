"""Scenarios of notebook 10 (scaling and resilience): the sale spike on six deployments, with
and without a crashed instance; a slow dependency cascading through its caller, and what a
timeout, a circuit breaker and a bulkhead change; a retry storm with and without jitter.

The scenarios themselves live with their systems (:mod:`caplab.services.scenarios`,
:mod:`caplab.resilience.scenarios`); this module gathers what the notebook prints, as plain
data, and ``tests/course/test_scaling_course.py`` asserts it.

Example:
    >>> rows = spike_table(seed=1)
    >>> [r["option"] for r in rows if r["availability"] < 0.5]
    ['small', 'scale-out']
"""

from __future__ import annotations

from ..resilience.scenarios import cascade, retry_storm
from ..services import compare_options, sale_spike, time_series

__all__ = ["spike_table", "spike_series", "cascade_table", "retry_storm_table",
           "PROTECTIONS", "JITTER_KINDS"]

PROTECTIONS = ("none", "timeout", "breaker", "bulkhead")
JITTER_KINDS = ("none", "full", "equal", "decorrelated")


def spike_table(seed: int = 1, *, crash: bool = False) -> list[dict]:
    """One row per deployment option during the sale spike (p50/p95/p99 ms, throughput,
    errors, availability, cost per hour); ``crash`` takes one sale instance down for 10 s."""
    keys = ("option", "instances", "p50_ms", "p99_ms", "throughput_per_s", "errors",
            "availability", "cost_per_hour")
    return [{k: row[k] for k in keys} for row in compare_options(seed=seed, crash=crash)]


def spike_series(option: str = "autoscaled", seed: int = 1) -> dict:
    """The monitoring series of one option's run (request rate, errors, p50/p99, queue,
    instances, utilisation, with the spike and faults as bands)."""
    return time_series(sale_spike(option, seed=seed)["deployment"])


def cascade_table(seed: int = 1) -> list[dict]:
    """The caller of a slow dependency under each protection: error rates, p50/p99 and the
    caller's longest queue."""
    keys = ("protection", "error_rate", "local_error_rate", "p50_ms", "p99_ms",
            "front_max_queue")
    runs = [cascade(p, seed=seed) for p in PROTECTIONS]
    return [{k: run[k] for k in keys} for run in runs]


def retry_storm_table(seed: int = 1) -> list[dict]:
    """Clients retrying into a recovering dependency, by jitter kind: how long the outage
    lasted past its end, and the calls made for clients that had already given up."""
    keys = ("jitter", "prolonged_ms", "dependency_calls", "wasted")
    runs = [retry_storm(j, seed=seed) for j in JITTER_KINDS]
    return [{k: run[k] for k in keys} for run in runs]
