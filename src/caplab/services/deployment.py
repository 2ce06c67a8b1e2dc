"""A deployment on a world: tiers of identical instances, each tier behind its own load
balancer, the clients that load them, and a log of what changed (instances launched and retired,
faults) for monitoring.

A *tier* is one deployable service: a monolith is one tier carrying every feature (its working
set is all of theirs, and scaling it copies all of it); split services are one tier per feature
(only the sale tier needs to grow for a sale). Instances are billed from launch (booting is
billed, as on EC2) to retirement.

Example:
    >>> d = Deployment(seed=1)
    >>> shop = d.add_tier("shop", machine=SMALL, features={"sale": 1, "catalog": 0.5}, instances=2)
    >>> [i.name for i in shop.live], shop.balancer.name
    (['shop-1', 'shop-2'], 'shop-lb')
"""

from __future__ import annotations

from ..errors import ConfigError, UnknownNameError
from ..world.describe import Description, Option, Role
from ..world.system import System
from ..world.world import World
from .balancer import POLICIES, LoadBalancer, check_policy
from .capacity import SMALL, Instance, Machine
from .load import LoadClient, LoadProfile

__all__ = ["Deployment", "Tier"]


class Tier:
    """One service: instances of one machine type behind one balancer (built by
    :meth:`Deployment.add_tier`)."""

    def __init__(self, deployment, name: str, machine: Machine, features: dict[str, float], *,
                 base_service_ms: float, balancer: LoadBalancer,
                 capacity: int | None) -> None:
        self.deployment, self.name, self.machine = deployment, name, machine
        self.features = dict(features)                    # feature -> working set (GB)
        self.working_set_gb = sum(self.features.values())
        self.base_service_ms, self.capacity = base_service_ms, capacity
        self.balancer = balancer
        self.instances: list[Instance] = []              # every instance ever launched
        self.live: list[Instance] = []                   # launched, not retired (booting too)

    @property
    def ready(self) -> list[Instance]:
        """Live instances that have finished booting."""
        now = self.deployment.now
        return [i for i in self.live if i.ready_ms is not None and i.ready_ms <= now]

    def launch(self, *, startup_ms: int = 0) -> Instance:
        """Start one more instance; it joins the balancer after ``startup_ms`` of booting."""
        world = self.deployment.world
        inst = Instance(f"{self.name}-{len(self.instances) + 1}", self.machine,
                        base_service_ms=self.base_service_ms,
                        working_set_gb=self.working_set_gb, capacity=self.capacity)
        world.add_node(inst)
        inst.launched_ms = world.now
        self.instances.append(inst)
        self.live.append(inst)
        if startup_ms:
            world.sim.schedule(startup_ms, self._join, inst, daemon=True)
        else:
            self._join(inst)             # ready at once
        self.deployment.log_count(self)
        return inst

    def _join(self, inst: Instance) -> None:
        if inst.retired_ms is None:
            inst.ready_ms = self.deployment.now
            self.balancer.add_backend(inst.name)

    def retire(self, inst: Instance | None = None) -> Instance:
        """Stop ``inst`` (default: the newest instance): out of the balancer (what it holds
        still finishes), and no longer billed.

        Raises:
            ConfigError: no live instance, or ``inst`` is not one of this tier's live ones.
        """
        if not self.live:
            raise ConfigError(f"tier {self.name!r} has no instance to retire")
        if inst is None:
            inst = self.live[-1]
        elif inst not in self.live:
            raise ConfigError(f"{getattr(inst, 'name', inst)!r} is not a live instance of "
                              f"tier {self.name!r}; live: {[i.name for i in self.live]}")
        self.live.remove(inst)
        inst.retired_ms = self.deployment.now
        if inst.name in self.balancer.backends:
            self.balancer.remove_backend(inst.name)
        self.deployment.log_count(self)
        return inst

    def cost_usd(self) -> float:
        """Dollars billed so far for every instance of this tier."""
        now = self.deployment.now
        return sum(i.cost_usd(now) for i in self.instances)


class Deployment(System):
    """Services with capacity on a world: tiers, balancers, load clients, a change log.

    Args:
        seed: the one seed of all randomness.
        latency: one-way network latency (model, ms, or spec tuple).
        trace: keep a trace of every event (off by default: these runs are long).

    Example:
        >>> d = Deployment(seed=1, latency=1)
        >>> d.now
        0
    """

    def __init__(self, *, seed: int = 0, latency=1, trace: bool = False) -> None:
        self.world = World(seed=seed, latency=latency, trace=trace)
        self.tiers: dict[str, Tier] = {}
        self.loads: list[LoadClient] = []
        self.counts: list[tuple[int, str, int]] = [] # (time, tier, live instances)
        self.faults: list[list] = []                  # [start, end or None, label]
        self.marks: list[tuple[int, int, str]] = []   # (start, end, label): e.g. the spike

    def add_tier(self, name: str, *, machine: Machine = SMALL, features: dict[str, float],
                 instances: int = 1, policy: str = "round_robin", base_service_ms: float = 20.0,
                 capacity: int | None = None, max_connections: int | None = None,
                 keep_routes: bool = False) -> Tier:
        """A service of ``instances`` copies of ``machine`` behind a balancer ``<name>-lb``.

        Args:
            name: the tier's name (instances are ``<name>-1``, ``<name>-2``, ...).
            machine: the machine every instance runs on.
            features: ``{feature: working set in GB}`` this service carries.
            instances: how many to start now (ready at once).
            policy: the balancer's routing policy.
            base_service_ms: mean service time at speed 1, in memory.
            capacity: each instance's waiting-room bound (None: unbounded).
            max_connections: per-instance limit at the balancer (None: none).
            keep_routes: the balancer keeps every routing decision.

        Raises:
            ConfigError, UnknownNameError: a bad value (nothing is added).
        """
        check_policy(policy)
        if name in self.tiers:
            raise ConfigError(f"tier {name!r} already exists; tiers: {sorted(self.tiers)}")
        if not isinstance(machine, Machine):
            raise ConfigError(f"machine must be a Machine, got {machine!r}")
        if not features or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                   and v > 0 for v in features.values()):
            raise ConfigError(f"features must map each feature to a working set > 0 GB, "
                              f"got {features!r}")
        if isinstance(instances, bool) or not isinstance(instances, int) or instances < 0:
            raise ConfigError(f"instances must be a whole number >= 0, got {instances!r}")
        Instance("probe", machine, base_service_ms=base_service_ms, capacity=capacity,
                 working_set_gb=sum(features.values()))     # checks the values, is discarded
        balancer = LoadBalancer(f"{name}-lb", policy=policy, max_connections=max_connections,
                                keep_routes=keep_routes)
        tier = Tier(self, name, machine, features, base_service_ms=base_service_ms,
                    balancer=balancer, capacity=capacity)
        self.world.add_node(balancer)
        self.tiers[name] = tier
        for _ in range(instances):
            tier.launch()
        if not instances:
            self.log_count(tier)
        return tier

    def tier(self, name: str) -> Tier:
        """The tier called ``name``."""
        if name not in self.tiers:
            raise UnknownNameError("tier", name, list(self.tiers))
        return self.tiers[name]

    def add_load(self, name: str, profile: LoadProfile, *, timeout_ms: int = 5_000) -> LoadClient:
        """A load client sending each feature to the balancer of the tier that carries it."""
        routes = {}
        for tier in self.tiers.values():
            for feature in tier.features:
                routes.setdefault(feature, tier.balancer.name)
        client = LoadClient(name, profile, routes, timeout_ms=timeout_ms)
        near = next(iter(self.tiers.values())).balancer.name if self.tiers else None
        if near is None:
            raise ConfigError("add a tier before adding load")
        self.world.add_client(client, near=near)
        self.loads.append(client)
        if profile.spike_start_ms is not None:
            self.marks.append((profile.spike_start_ms, profile.spike_end_ms, "sale spike"))
        client.start()
        return client

    def log_count(self, tier: Tier) -> None:
        """Note how many instances ``tier`` has now (for the instances series)."""
        self.counts.append((self.now, tier.name, len(tier.live)))

    # -- faults, logged for the dashboard ----------------------------------------------------
    def crash(self, name: str) -> None:
        """Crash instance or balancer ``name`` (logged as a fault band until its restart)."""
        self._require_node(name)
        self.world.crash(name)
        self.faults.append([self.now, None, f"{name} crashed"])

    def restart(self, name: str) -> None:
        """Restart ``name``; its fault band ends now."""
        self._require_node(name)
        self.world.restart(name)
        for fault in self.faults:
            if fault[1] is None and fault[2] == f"{name} crashed":
                fault[1] = self.now

    def instances(self) -> list[Instance]:
        """Every instance ever launched, tier by tier."""
        return [i for t in self.tiers.values() for i in t.instances]

    def cost_usd(self) -> float:
        """Dollars billed so far, all tiers."""
        return sum(t.cost_usd() for t in self.tiers.values())

    # -- what views and panels read ----------------------------------------------------------
    def roles(self) -> dict[str, str]:
        """Node name -> role: ``balancer``, ``instance``, ``booting``, ``retired`` or ``down``."""
        out = {}
        for tier in self.tiers.values():
            lb = tier.balancer
            out[lb.name] = "balancer" if lb.up else "down"
            for inst in tier.instances:
                if not inst.up:
                    out[inst.name] = "down"
                elif inst.retired_ms is not None:
                    out[inst.name] = "retired"
                else:
                    out[inst.name] = "instance" if inst.ready_ms is not None else "booting"
        return out

    def describe(self) -> Description:
        """Roles, options and fault presets for views and panels."""
        roles = {"balancer": Role("balancer", "#0072B2", symbol="diamond", label="balancer"),
                 "instance": Role("instance", "#009E73", label="instance"),
                 "booting": Role("booting", "#E69F00", symbol="circle-open", label="booting"),
                 "retired": Role("retired", "#bbbbbb", symbol="circle-open", label="retired")}
        presets = {}
        for tier in self.tiers.values():
            if tier.live:
                presets[f"crash {tier.live[0].name}"] = ("crash", tier.live[0].name)
        presets["heal"] = ("heal", None)
        tiers = ", ".join(f"{t.name} x{len(t.live)}" for t in self.tiers.values())
        return Description(
            system="services", mode="deployment", title=f"services: {tiers or 'no tiers'}",
            roles=roles, presets=presets, layout="star",
            options=(Option("policy", "round_robin", "add_tier", "how a balancer routes",
                            choices=POLICIES),
                         Option("instances", 1, "add_tier", "instances started at once",
                                allowed="whole number >= 0")))
