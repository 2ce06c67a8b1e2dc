"""Services with capacity: machines (cores, clock speed, memory, price) and the instances that run
on them (a :class:`~caplab.net.service.Service` each), with a paging penalty when the working set
does not fit in memory.

Scale-up makes one machine bigger (the source's clock 2 -> 5 GHz is ``speed`` 2.5, memory
2 -> 16 GB); scale-out runs more instances of the same machine. An instance is a queue served by
``cores`` workers; each request holds a worker for a service time drawn from an exponential
distribution, divided by ``speed`` and multiplied by the paging factor.

**Paging penalty.** When a service's working set (the memory its requests touch) exceeds the
machine's memory, the share ``(working_set - memory) / working_set`` of its accesses miss memory
and go to disk. The service time is multiplied by ``1 + PAGING_PENALTY * missing share`` with
``PAGING_PENALTY`` = 4: a service whose working set is twice its memory runs three times slower.
The constant is illustrative (a lab-scale stand-in for "thrashing": real page-fault costs are
microseconds to milliseconds against nanoseconds for a memory access, so a real system falls off
a cliff sooner); what matters is the shape: fitting in memory is worth more than clock speed.

**Prices** follow the shape of a real cloud's on-demand price list: roughly in proportion to
vCPUs and to memory. AWS EC2 on-demand Linux prices in us-east-1 (:data:`AWS_ON_DEMAND`):
c5.large (compute-optimised, 2 vCPU, 4 GiB) $0.085/h, m5.large (general purpose, 2 vCPU,
8 GiB) $0.096/h, r5.large (memory-optimised, 2 vCPU, 16 GiB) $0.126/h, c5.2xlarge (8 vCPU,
16 GiB) $0.34/h (the figure AWS's Auto Scaling guide uses in its Spot example). Same vCPUs,
four times the memory (c5 to r5) costs $0.041 more: memory-optimised memory is about $0.0035
per GiB-hour, a vCPU about $0.034. z1d, a high-clock family, costs about 1.5x r5 for about 1.3x
the clock, so a faster clock costs ``speed ** 1.5``:
``cost_per_hour = cores * 0.034 * speed ** 1.5 + memory_gb * 0.0035`` dollars, within 5 % of
each listed price. Memory is cheap next to cores, so copying memory only matters when much of
it is copied: a copy of the 16 GB monolith costs 1.5 times a copy of the 4 GB sale service on
the same two cores (r5.large against c5.large). Real prices vary by region, family and year;
compare options, not invoices.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from ..net.latency import Exponential
from ..net.message import message
from ..net.service import Rejected, Service

__all__ = ["Machine", "Instance", "Call", "Done", "Failed", "Ping", "Pong", "SMALL", "BIG",
           "PAGING_PENALTY", "CORE_HOUR_USD", "GB_HOUR_USD", "AWS_ON_DEMAND", "paging_factor"]

#: service-time multiplier per unit of missing memory share (illustrative, see module doc)
PAGING_PENALTY = 4.0
#: dollars per vCPU-hour at speed 1 and per GB-hour (scaled from AWS m5/r5 prices)
CORE_HOUR_USD = 0.034
GB_HOUR_USD = 0.0035
#: a faster clock costs more than in proportion (z1d against r5: ~1.5x price for ~1.3x clock)
SPEED_PRICE_EXPONENT = 1.5
#: the published prices the model is fitted to: (type, vCPUs, GiB, dollars per hour), AWS EC2
#: on-demand Linux, us-east-1
AWS_ON_DEMAND = (("c5.large", 2, 4, 0.085), ("m5.large", 2, 8, 0.096),
                 ("r5.large", 2, 16, 0.126), ("c5.2xlarge", 8, 16, 0.34))


@message
class Call:
    """A request for ``feature`` (number ``n`` of the client ``origin``)."""
    n: int
    feature: str
    origin: str


@message
class Done:
    """A successful reply to a :class:`Call`, served by instance ``server``."""
    n: int
    feature: str
    origin: str
    server: str


@message
class Failed:
    """A reply saying a call was lost with a crashed instance: indefinite (it may have run)."""
    request: object
    reason: str
    definite: bool = False


@message
class Ping:
    """A health check from a load balancer (answered at once, outside the request queue)."""
    seq: int


@message
class Pong:
    """A health check's answer."""
    seq: int


def _positive(name: str, value, *, whole: bool = False) -> float:
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not 0 < value < 1e12:
        what = "a whole number >= 1" if whole else "a finite number > 0"
        raise ConfigError(f"{name} must be {what}, got {value!r}")
    return value


@dataclass(frozen=True)
class Machine:
    """A machine type: ``cores`` workers, clock ``speed`` (1 = 2 GHz), ``memory_gb``, a price.

    Args:
        name: a label (``"small"``, ``"big"``).
        cores: workers (requests served at once).
        speed: service times are divided by it (2 -> 5 GHz is 2.5).
        memory_gb: memory available to the service's working set.
        cost_per_hour: dollars per instance-hour; None: the module's illustrative price model.

    Raises:
        ConfigError: a value out of range (zero cores, a negative speed, ...).

    Example:
        >>> Machine("small", cores=2, speed=1, memory_gb=2).cost_per_hour
        0.075
    """

    name: str
    cores: int = 2
    speed: float = 1.0
    memory_gb: float = 2.0
    cost_per_hour: float | None = None

    def __post_init__(self) -> None:
        _positive("cores", self.cores, whole=True)
        _positive("speed", self.speed)
        _positive("memory_gb", self.memory_gb)
        if self.cost_per_hour is None:
            price = (self.cores * CORE_HOUR_USD * self.speed ** SPEED_PRICE_EXPONENT
                     + self.memory_gb * GB_HOUR_USD)
            object.__setattr__(self, "cost_per_hour", round(price, 4))
        elif (isinstance(self.cost_per_hour, bool) or not isinstance(self.cost_per_hour,
                                                                      (int, float))
              or not 0 <= self.cost_per_hour < 1e9):
            raise ConfigError(f"cost_per_hour must be a number >= 0, got {self.cost_per_hour!r}")

    def with_memory(self, memory_gb: float) -> Machine:
        """The same machine with ``memory_gb`` of memory (and its price recomputed)."""
        return Machine(self.name, cores=self.cores, speed=self.speed, memory_gb=memory_gb)


#: the source's machines: 2 GHz and 2 GB, then 5 GHz and 16 GB (we give the big one 8 cores)
SMALL = Machine("small", cores=2, speed=1.0, memory_gb=2.0)
BIG = Machine("big", cores=8, speed=2.5, memory_gb=16.0)


def paging_factor(working_set_gb: float, memory_gb: float,
                  penalty: float = PAGING_PENALTY) -> float:
    """How much slower a service runs when its working set does not fit in memory.

    Returns ``1 + penalty * max(0, working_set - memory) / working_set``.

    Example:
        >>> paging_factor(4, 2), paging_factor(2, 4)
        (3.0, 1.0)
    """
    if working_set_gb <= memory_gb:
        return 1.0
    return 1.0 + penalty * (working_set_gb - memory_gb) / working_set_gb


class Instance(Service):
    """One running copy of a service on a :class:`Machine`: a queue and ``cores`` workers.

    Args:
        name: the instance's name on the network (``"sale-2"``).
        machine: the machine it runs on.
        base_service_ms: mean service time of a request at speed 1 with everything in memory.
        working_set_gb: memory its requests touch (every feature it carries).
        capacity: waiting-room bound (None: unbounded); beyond it a request is rejected.

    Raises:
        ConfigError: a value out of range (nothing is created).

    Example:
        >>> inst = Instance("sale-1", SMALL, base_service_ms=20, working_set_gb=4)
        >>> inst.paging, inst.mean_service_ms
        (3.0, 60.0)
    """

    def __init__(self, name: str, machine: Machine, *, base_service_ms: float = 20.0,
                 working_set_gb: float = 1.0, capacity: int | None = None) -> None:
        if not isinstance(machine, Machine):
            raise ConfigError(f"machine must be a Machine, got {machine!r}")
        _positive("base_service_ms", base_service_ms)
        _positive("working_set_gb", working_set_gb)
        self.machine = machine
        self.working_set_gb = working_set_gb
        self.paging = paging_factor(working_set_gb, machine.memory_gb)
        # The paging factor stretches the service time; the clock speed shrinks it.
        super().__init__(name, workers=machine.cores, speed=machine.speed / self.paging,
                         service_time=Exponential(1.0 / base_service_ms), capacity=capacity)
        self.mean_service_ms = base_service_ms * self.paging / machine.speed
        self.launched_ms: int | None = None
        self.ready_ms: int | None = None
        self.retired_ms: int | None = None
        self.fail_p = 0.0          # share of served requests answered with an error (a fault)

    def serve(self, msg, src: str):
        if self.fail_p and self.rng("fail").random() < self.fail_p:
            # An HTTP 500 after doing the work: fast, definite, and it still passes health
            # checks (a ping is not a request), so the balancer keeps sending it traffic.
            return Rejected(msg, self.name, f"{self.name} answered 500 (definite)")
        return Done(msg.n, msg.feature, msg.origin, self.name)

    # -- faults an operator (or a nemesis) injects --------------------------------------------
    def make_slow(self, factor: float = 10.0) -> None:
        """Serve ``factor`` times slower from now on (a noisy neighbour, a GC storm)."""
        _positive("factor", factor)
        self.speed = self.machine.speed / self.paging / factor

    def make_failing(self, fail_p: float = 0.5) -> None:
        """Answer a served request with an error with probability ``fail_p`` from now on."""
        if isinstance(fail_p, bool) or not isinstance(fail_p, (int, float)) \
                or not 0 <= fail_p <= 1:
            raise ConfigError(f"fail_p must be a probability in [0, 1], got {fail_p!r}")
        self.fail_p = float(fail_p)

    def make_healthy(self) -> None:
        """Undo :meth:`make_slow` and :meth:`make_failing`."""
        self.speed = self.machine.speed / self.paging
        self.fail_p = 0.0

    def handle_ping(self, msg: Ping, src: str) -> None:
        # A health endpoint answers outside the request queue (a TCP or /health check); a
        # crashed instance receives nothing, so its silence is what the balancer notices.
        self.send(src, Pong(msg.seq))

    def billed_hours(self, now_ms: int) -> float:
        """Hours billed so far: from launch (booting is billed) to retirement or now."""
        if self.launched_ms is None:
            return 0.0
        end = now_ms if self.retired_ms is None else self.retired_ms
        return max(0, end - self.launched_ms) / 3_600_000

    def cost_usd(self, now_ms: int) -> float:
        """Dollars billed so far."""
        return self.billed_hours(now_ms) * self.machine.cost_per_hour
