"""An autoscaler: a control loop that adds instances to a tier when their utilisation is above
a target and removes them when it is below, within a minimum and a maximum, waiting a cooldown
after each change, with new instances taking a start-up delay before they serve.

The rule is Kubernetes' Horizontal Pod Autoscaler's: ``desired = ceil(current * utilisation /
target)``, skipped while the ratio is within a tolerance of 1 (HPA: 0.1), measured on instances
that are ready (HPA leaves out pods not yet ready); booting instances count towards ``current``
so one burst of load does not launch twice. The cooldown is AWS EC2 Auto Scaling's simple-scaling
cooldown (default 300 s; lab scale here); the start-up delay is an instance's boot and warm-up
(EC2: minutes; lab scale: seconds). Scale-in retires the newest instance first.

**Scale-down stabilisation.** The HPA itself has no cooldown: it scales up at once and, to
avoid flapping, scales down only to the *highest* recommendation of the last
``stabilizationWindowSeconds`` (default 300 s for scale-down, 0 for scale-up; HPAScalingRules).
``scale_down_stabilisation_ms`` models that window (off by default, so the AWS-style cooldown
alone decides; set it, with ``cooldown_ms=0``, for the HPA's behaviour at lab scale).

**Replacing failed instances.** An instance its balancer's health checks have taken out of
rotation no longer counts: the autoscaler retires it and launches a replacement at once (outside
the cooldown), which serves after the start-up delay. This is what real autoscalers do: "When
Amazon EC2 Auto Scaling determines that an InService instance is unhealthy, it replaces it with
a new instance to maintain the desired capacity of the group" (with the group's health check
type set to ELB, the load balancer's verdict counts); a Kubernetes ReplicaSet recreates failed
pods to keep its replica count, and the HPA computes on ready pods only.
"""

from __future__ import annotations

import bisect
import math
from collections import deque

from ..errors import ConfigError

__all__ = ["Autoscaler", "busy_share"]


def busy_share(service, from_ms: int, to_ms: int) -> float:
    """The share of ``service``'s workers busy between ``from_ms`` and ``to_ms``.

    Like :meth:`caplab.net.service.Service.utilisation`, but finds the window by bisection in
    the service's timeline, so a control loop or a monitor reading recent windows does not
    rescan the whole run.

    Example:
        >>> busy_share(instance, 0, 1000)                  # doctest: +SKIP
        0.42
    """
    if to_ms <= from_ms:
        return 0.0
    points = service.timeline
    i = max(0, bisect.bisect_right(points, from_ms, key=lambda p: p[0]) - 1)
    area = 0
    for j in range(i, len(points)):
        start = max(points[j][0], from_ms)
        if start >= to_ms:
            break
        stop = min(points[j + 1][0] if j + 1 < len(points) else to_ms, to_ms)
        if stop > start:
            area += points[j][2] * (stop - start)
    return area / (to_ms - from_ms) / service.workers


def _whole(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{name} must be a whole number >= {low}, got {value!r}")
    return value


class Autoscaler:
    """Keeps a tier's utilisation near ``target_utilisation`` by launching and retiring instances.

    Args:
        deployment: the :class:`~caplab.services.deployment.Deployment`.
        tier: the tier to scale (a name or the tier).
        target_utilisation: the utilisation to aim for, in (0, 1].
        min_instances, max_instances: the bounds (1 <= min <= max).
        cooldown_ms: no change for this long after a change.
        startup_ms: a new instance boots this long before it serves.
        interval_ms: how often utilisation is measured.
        tolerance: no change while ``|utilisation / target - 1|`` is within it.
        scale_down_stabilisation_ms: scale down only to the highest recommendation of this
            last stretch of time (HPA's ``stabilizationWindowSeconds``); 0: off.

    Raises:
        ConfigError: a value out of range (min > max, a target outside (0, 1], ...); nothing
            changes.

    Example:
        >>> from caplab.services.deployment import Deployment
        >>> d = Deployment(seed=1)
        >>> _ = d.add_tier("sale", features={"sale": 1.0}, instances=1)
        >>> a = Autoscaler(d, "sale", target_utilisation=0.6, min_instances=2, max_instances=8)
        >>> len(a.start().tier.live)
        2
    """

    def __init__(self, deployment, tier, *, target_utilisation: float = 0.6,
                 min_instances: int = 1, max_instances: int = 10, cooldown_ms: int = 5_000,
                 startup_ms: int = 3_000, interval_ms: int = 1_000,
                 tolerance: float = 0.1, scale_down_stabilisation_ms: int = 0) -> None:
        tier = deployment.tier(tier) if isinstance(tier, str) else tier
        if (isinstance(target_utilisation, bool)
                or not isinstance(target_utilisation, (int, float))
                or not 0 < target_utilisation <= 1):
            raise ConfigError(f"target_utilisation must lie in (0, 1], "
                              f"got {target_utilisation!r}")
        _whole("min_instances", min_instances, 1)
        _whole("max_instances", max_instances, 1)
        if min_instances > max_instances:
            raise ConfigError(f"min_instances={min_instances} exceeds max_instances="
                              f"{max_instances}; choose 1 <= min_instances <= max_instances")
        _whole("cooldown_ms", cooldown_ms, 0)
        _whole("startup_ms", startup_ms, 0)
        _whole("interval_ms", interval_ms, 1)
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
                or not 0 <= tolerance < 1:
            raise ConfigError(f"tolerance must lie in [0, 1), got {tolerance!r}")
        _whole("scale_down_stabilisation_ms", scale_down_stabilisation_ms, 0)
        self.deployment, self.tier = deployment, tier
        self.target = float(target_utilisation)
        self.min_instances, self.max_instances = min_instances, max_instances
        self.cooldown_ms, self.startup_ms = cooldown_ms, startup_ms
        self.interval_ms, self.tolerance = interval_ms, tolerance
        self.stabilisation_ms = scale_down_stabilisation_ms
        self._recommendations: deque[tuple[int, int]] = deque()   # (time, desired)
        self.decisions: list[tuple[int, float, int, int]] = []  # (time, util, before, after)
        self.replacements: list[tuple[int, str, str]] = []      # (time, failed, replacement)
        self._last_change: int | None = None

    def start(self) -> Autoscaler:
        """Bring the tier within [min, max] now, then measure every ``interval_ms``."""
        while len(self.tier.live) < self.min_instances:
            self.tier.launch()
        while len(self.tier.live) > self.max_instances:
            self.tier.retire()
        self.deployment.sim.schedule(self.interval_ms, self.on_tick, daemon=True)
        return self

    def utilisation(self) -> float | None:
        """Mean utilisation of the ready instances over the last interval (None: none ready)."""
        now = self.deployment.now
        ready = [i for i in self.tier.ready if i.up]
        if not ready:
            return None
        start = now - self.interval_ms
        return sum(busy_share(i, max(start, i.ready_ms), now) for i in ready) / len(ready)

    def desired(self, utilisation: float) -> int:
        """How many instances the rule asks for at ``utilisation`` (clamped to [min, max])."""
        current = len(self.tier.live)
        ratio = utilisation / self.target
        if abs(ratio - 1) <= self.tolerance:
            want = current
        else:
            serving = sum(1 for i in self.tier.ready if i.up)
            want = math.ceil(serving * ratio - 1e-9)
        return min(self.max_instances, max(self.min_instances, want))

    def stabilised(self, want: int) -> int:
        """``want``, held up by the highest recommendation of the stabilisation window when it
        would scale down (HPA: scale up at once, scale down to the window's maximum)."""
        if not self.stabilisation_ms:
            return want
        now, recs = self.deployment.now, self._recommendations
        recs.append((now, want))
        while recs[0][0] < now - self.stabilisation_ms:
            recs.popleft()
        current = len(self.tier.live)
        if want >= current:
            return want
        return min(current, max(w for _, w in recs))

    def replace_unhealthy(self) -> list[str]:
        """Retire every ready instance the tier's balancer holds down, and launch one in its
        place (booting for ``startup_ms``); returns the names of the replacements."""
        healthy = self.tier.balancer.healthy
        now, started = self.deployment.now, []
        for inst in list(self.tier.live):
            if inst.ready_ms is not None and healthy.get(inst.name, True) is False:
                # EC2 Auto Scaling (ELB health checks): terminate the unhealthy instance and
                # launch a replacement; a ReplicaSet likewise recreates a failed pod.
                self.tier.retire(inst)
                new = self.tier.launch(startup_ms=self.startup_ms)
                self.replacements.append((now, inst.name, new.name))
                started.append(new.name)
        return started

    def on_tick(self) -> None:
        self.replace_unhealthy()
        now = self.deployment.now
        util = self.utilisation()
        recommended = None if util is None else self.stabilised(self.desired(util))
        cooling = self._last_change is not None and now - self._last_change < self.cooldown_ms
        if util is not None and not cooling:
            before = len(self.tier.live)
            want = recommended
            while len(self.tier.live) < want:
                self.tier.launch(startup_ms=self.startup_ms)
            while len(self.tier.live) > want:
                self.tier.retire()
            if want != before:
                self._last_change = now
                self.decisions.append((now, util, before, want))
        self.deployment.sim.schedule(self.interval_ms, self.on_tick, daemon=True)
