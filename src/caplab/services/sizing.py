"""Sizing for the sale spike (lab 12): a plan (architecture, machine, autoscaler bounds and
target) run through the sale spike with one instance crashed mid-spike, reported as the
spike's latency, errors and the fleet's cost.

The shop is the one of :mod:`caplab.services.scenarios` (sale 4 GB, catalog 8 GB, checkout
4 GB: the monolith 16 GB; 20 requests/s, ten times that for the sale from 20 s to 40 s). A plan
scales either the monolith (every feature in one tier: each copy carries all 16 GB) or, with the
services split, the sale service alone (catalog and checkout keep one 1-core machine each, sized
to their working sets: :data:`~caplab.services.scenarios.REST_MACHINES`, $0.11 an hour
together). The tier that scales runs on the plan's
machine under an :class:`~caplab.services.autoscaler.Autoscaler` (``min == max``: a fixed
fleet); a new instance boots for :data:`STARTUP_MS` before it serves (EC2's boot and warm-up,
at lab scale). At :data:`CRASH` the tier's first instance crashes for 5 s (one machine lost:
what a single big box cannot survive); the autoscaler replaces it once the balancer has detected
it, and the replacement serves after its boot.

With the price model of :mod:`caplab.services.capacity`, the cheapest plans that keep the
objective are split (the reference, $0.315 an hour on the worst seed); the cheapest monolith
that keeps it (2 cores, 16 GB, 3 to 4 copies at 50 %) costs $0.41, 1.3 times as much: every
copy pays for 12 GB the sale does not use.

Example:
    >>> r = run_sizing({"architecture": "split", "machine": {"cores": 2, "speed": 1.0,
    ...                 "memory_gb": 4.0}, "min_instances": 2, "max_instances": 6,
    ...                 "target_utilisation": 0.6, "cooldown_ms": 2000}, seed=1)
    >>> r["p99_ms"] < 200, r["error_rate"] < 0.01
    (True, True)
"""

from __future__ import annotations

from ..errors import ConfigError, UnknownNameError
from .autoscaler import Autoscaler
from .capacity import Machine
from .deployment import Deployment
from .load import LoadProfile
from .monitor import summary
from .scenarios import DURATION_MS, REST_MACHINES, SPIKE, WORKING_SETS

__all__ = ["ARCHITECTURES", "PLAN_KEYS", "STARTUP_MS", "CRASH", "build_plan", "run_sizing"]

ARCHITECTURES = ("split", "monolith")
PLAN_KEYS = ("architecture", "machine", "min_instances", "max_instances", "target_utilisation",
             "cooldown_ms")
#: a new instance's boot and warm-up before it serves
STARTUP_MS = 4_000
#: (crash, restart) of the scaled tier's first instance, mid-spike
CRASH = (25_000, 30_000)


def _machine(spec) -> Machine:
    if isinstance(spec, Machine):
        return spec
    if not isinstance(spec, dict) or not set(spec) <= {"cores", "speed", "memory_gb"}:
        raise ConfigError(f"machine must be a dict with cores, speed and memory_gb, got "
                          f"{spec!r}")
    return Machine("chosen", cores=spec.get("cores", 2), speed=spec.get("speed", 1.0),
                   memory_gb=spec.get("memory_gb", 2.0))


def build_plan(plan: dict, *, seed: int = 1) -> tuple[Deployment, str]:
    """The deployment a plan describes, its autoscaler started; returns it and the scaled tier.

    Raises:
        ConfigError / UnknownNameError: a missing key or a bad value, named (nothing is run).
    """
    if not isinstance(plan, dict) or set(plan) != set(PLAN_KEYS):
        raise ConfigError(f"a plan is a dict with keys {', '.join(PLAN_KEYS)}, got {plan!r}")
    if plan["architecture"] not in ARCHITECTURES:
        raise UnknownNameError("architecture", plan["architecture"], ARCHITECTURES)
    machine = _machine(plan["machine"])
    d = Deployment(seed=seed)
    if plan["architecture"] == "monolith":
        tier = "shop"
        features = dict(WORKING_SETS)
    else:
        tier = "sale"
        features = {"sale": WORKING_SETS["sale"]}
    d.add_tier(tier, machine=machine, features=features, instances=0,
               policy="least_connections")
    scaler = Autoscaler(d, tier, target_utilisation=plan["target_utilisation"],
                        min_instances=plan["min_instances"],
                        max_instances=plan["max_instances"], cooldown_ms=plan["cooldown_ms"],
                        startup_ms=STARTUP_MS)          # checks the values before anything runs
    if tier == "sale":
        for feature in ("catalog", "checkout"):
            d.add_tier(feature, machine=REST_MACHINES[feature],
                       features={feature: WORKING_SETS[feature]},
                       instances=1, policy="least_connections")
    scaler.start()
    return d, tier


def run_sizing(plan: dict, seed: int) -> dict:
    """Run the sale spike on ``plan`` with one instance crashed mid-spike.

    Returns:
        the spike window's :func:`~caplab.services.monitor.summary` (``p99_ms``,
        ``error_rate``, ...) with ``cost_per_hour`` and ``cost_usd`` of the whole run,
        ``max_instances_used`` and ``"deployment"``.

    Raises:
        ConfigError / UnknownNameError: a bad plan (see :func:`build_plan`).
    """
    d, tier = build_plan(plan, seed=seed)
    d.add_load("shoppers", LoadProfile(20.0, spike_start_ms=SPIKE[0], spike_end_ms=SPIKE[1],
                                       duration_ms=DURATION_MS))
    victim = d.tier(tier).instances[0].name
    d.run(CRASH[0])
    d.crash(victim)
    d.run(CRASH[1])
    d.restart(victim)
    d.run(DURATION_MS + 6_000)           # the last answers come back (timeout 5 s)
    whole = summary(d, to_ms=DURATION_MS)
    report = summary(d, from_ms=SPIKE[0], to_ms=SPIKE[1])
    report.update(cost_usd=whole["cost_usd"], cost_per_hour=whole["cost_per_hour"],
                  max_instances_used=max(n for _, name, n in d.counts if name == tier),
                  deployment=d, seed=seed)
    return report
