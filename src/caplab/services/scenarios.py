"""The sale-event scenarios: a shop of three features (sale, catalog, checkout) meets a spike of
ten times its normal traffic, all for the sale; five ways to deploy it, each reported as latency
percentiles, throughput, errors and cost; and the same with one instance crashed mid-spike.

The options (the source's, with its numbers: clock 2 -> 5 GHz, memory 2 -> 16 GB, the sale
service's 4 GB of the 16):

- ``"small"``: the monolith on one small machine (2 cores, 2 GHz, 2 GB): the spike swamps it.
- ``"scale-up"``: the monolith on one big machine (8 cores, 5 GHz, 16 GB).
- ``"scale-out"``: the monolith copied onto small machines; every copy carries every feature
  (its whole 16 GB working set, so it pages on 2 GB, 4.5 times slower), and every copy is
  billed: six copies serve about half the spike.
- ``"split-out"``: split services; only the sale service is copied, on small machines.
- ``"memory-then-replicas"``: split services; the sale service gets 4 GB (its working set
  fits), then replicas of that.
- ``"autoscaled"``: like ``"memory-then-replicas"``, with an autoscaler choosing the count.

Working sets: sale 4 GB, catalog 8 GB, checkout 4 GB (the monolith: 16 GB, the source's big
machine; the sale service "uses 4 GB of the 16"). Split, catalog and checkout each run once on a
1-core machine their working set fits (:data:`REST_MACHINES`: together a fifth of a core of
normal traffic); only the sale service is copied. Mean service time
20 ms at 2 GHz in memory (exponential); normal traffic 20 requests/s; the spike runs from 20 s
to 40 s of a 60 s run. All numbers are lab-scale and illustrative.
"""

from __future__ import annotations

from ..errors import UnknownNameError
from .autoscaler import Autoscaler
from .capacity import BIG, SMALL, Machine
from .deployment import Deployment
from .load import LoadProfile
from .monitor import summary

__all__ = ["OPTIONS", "WORKING_SETS", "REST_MACHINES", "build_option", "sale_spike",
           "compare_options"]

WORKING_SETS = {"sale": 4.0, "catalog": 8.0, "checkout": 4.0}
#: where catalog and checkout run once the services are split: machines their working
#: sets fit (1 core each: together they get a fifth of a core of traffic)
REST_MACHINES = {"catalog": Machine("catalog", cores=1, speed=1.0, memory_gb=8.0),
                 "checkout": Machine("checkout", cores=1, speed=1.0, memory_gb=4.0)}
OPTIONS = ("small", "scale-up", "scale-out", "split-out", "memory-then-replicas", "autoscaled")
SPIKE = (20_000, 40_000)
DURATION_MS = 60_000


def _split(d: Deployment, sale_machine, sale_instances: int, policy: str):
    sale = d.add_tier("sale", machine=sale_machine, features={"sale": WORKING_SETS["sale"]},
                      instances=sale_instances, policy=policy)
    for feature in ("catalog", "checkout"):
        d.add_tier(feature, machine=REST_MACHINES[feature],
                   features={feature: WORKING_SETS[feature]}, instances=1, policy=policy)
    return sale


def build_option(option: str, *, seed: int = 1, replicas: int = 6,
                 policy: str = "least_connections") -> tuple[Deployment, str]:
    """A deployment for ``option`` (see the module doc); returns it and the name of the tier
    that carries the sale.

    Raises:
        UnknownNameError: an unknown option (the allowed ones are named).

    Example:
        >>> d, tier = build_option("scale-up")
        >>> tier, [i.machine.name for i in d.instances()]
        ('shop', ['big'])
    """
    if option not in OPTIONS:
        raise UnknownNameError("deployment option", option, OPTIONS)
    d = Deployment(seed=seed)
    if option in ("small", "scale-up", "scale-out"):
        machine = BIG if option == "scale-up" else SMALL
        d.add_tier("shop", machine=machine, features=dict(WORKING_SETS),
                   instances=replicas if option == "scale-out" else 1, policy=policy)
        return d, "shop"
    if option == "split-out":
        _split(d, SMALL, replicas, policy)
    elif option == "memory-then-replicas":
        _split(d, SMALL.with_memory(4.0), max(1, replicas // 2), policy)
    else:
        _split(d, SMALL.with_memory(4.0), 1, policy)
        Autoscaler(d, "sale", target_utilisation=0.6, min_instances=1, max_instances=replicas,
                   cooldown_ms=3_000, startup_ms=2_000).start()
    return d, "sale"


def sale_spike(option: str, *, seed: int = 1, replicas: int = 6, rate_per_s: float = 20.0,
               crash_at_ms: int | None = None, down_for_ms: int = 10_000) -> dict:
    """Run the sale spike on ``option`` and report it.

    Args:
        option: one of :data:`OPTIONS`.
        seed: the seed.
        replicas: the copies for the scale-out options (``memory-then-replicas`` uses half as
            many: each is faster; ``autoscaled`` uses it as its maximum).
        rate_per_s: normal traffic; the spike is ten times it.
        crash_at_ms: crash the sale tier's first instance then (None: no crash), restarting
            it ``down_for_ms`` later.

    Returns:
        :func:`~caplab.services.monitor.summary` of the whole run, of the spike window
        (``"spike"``), and ``"deployment"`` (for monitoring and views).

    Example:
        >>> r = sale_spike("scale-up")
        >>> r["spike"]["p99_ms"], round(r["cost_per_hour"], 2)
        (42, 1.13)
    """
    d, tier = build_option(option, seed=seed, replicas=replicas)
    d.add_load("shoppers", LoadProfile(rate_per_s, spike_start_ms=SPIKE[0],
                                       spike_end_ms=SPIKE[1], duration_ms=DURATION_MS))
    if crash_at_ms is not None:
        victim = d.tier(tier).instances[0].name
        d.run(crash_at_ms)
        d.crash(victim)
        d.run(crash_at_ms + down_for_ms)
        d.restart(victim)
    d.run(DURATION_MS + 6_000)        # the last answers come back (timeout 5 s)
    report = summary(d, to_ms=DURATION_MS)
    report["spike"] = summary(d, from_ms=SPIKE[0], to_ms=SPIKE[1])
    report["option"] = option
    report["deployment"] = d
    return report


def compare_options(*, seed: int = 1, crash: bool = False, options=OPTIONS) -> list[dict]:
    """One row per option: spike p50/p95/p99, throughput, errors, availability and cost.

    Args:
        crash: crash one sale instance 5 s into the spike, for 10 s.

    Example:
        >>> [r["option"] for r in compare_options()][:2]   # doctest: +SKIP
        ['small', 'scale-up']
    """
    rows = []
    for option in options:
        r = sale_spike(option, seed=seed, crash_at_ms=SPIKE[0] + 5_000 if crash else None)
        s = r["spike"]
        rows.append({"option": option, "instances": len(r["deployment"].instances()),
                     "p50_ms": s["p50_ms"], "p95_ms": s["p95_ms"], "p99_ms": s["p99_ms"],
                     "throughput_per_s": s["throughput_per_s"], "errors": s["errors"],
                     "availability": s["availability"], "cost_usd": r["cost_usd"],
                     "cost_per_hour": r["cost_per_hour"]})
    return rows
