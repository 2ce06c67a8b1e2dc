"""A service endpoint: a FIFO request queue served by a number of workers, with a service-time
distribution, a speed factor and an optional queue bound; crashes lose the queue.

Every message a :class:`Service` receives is a *request*, unless the service defines a
``handle_<kind>`` method for its kind (control traffic, e.g. a 2PC decision, bypasses the
queue). A request waits in line (first in, first out) for a free worker, holds it for a service
time drawn from a latency model (:mod:`caplab.net.latency`) divided by ``speed`` (a faster
machine: scale-up), and on completion :meth:`Service.serve` says what the request does and what
reply goes back to its sender. With ``capacity`` set, a request that finds the waiting room full
is refused at once with :class:`Rejected`, a *definite* error: it did not happen (a load shedder,
HTTP 503). A crash loses the queue and the requests in service (their senders hear nothing:
indefinite); a restarted service starts empty.

The numbers a monitor reads are plain: ``queue_length``, ``busy``, ``completed``, ``rejected``,
``dropped``, :meth:`Service.utilisation`, and per-request timestamps in ``records`` (arrival,
start, end) from which response times follow.
"""

from __future__ import annotations

from .endpoint import Endpoint, handler_name
from .latency import LatencyModel, latency_model
from .message import message
from ..errors import ConfigError

__all__ = ["Service", "Request", "Rejected", "Job", "PoissonClient"]


@message
class Job:
    """A generic request: number ``n`` from a load generator (its reply is a ``Job`` too)."""
    n: int


@message
class Rejected:
    """The reply to a request refused at once (a definite failure: it was never served)."""
    request: object
    service: str
    reason: str
    definite: bool = True


class Request:
    """One request's life at a service: times in ms (None until reached) and its outcome.

    ``outcome`` is ``"queued"``, ``"serving"``, ``"done"``, ``"rejected"`` or ``"dropped"``
    (lost in a crash).
    """

    __slots__ = ("id", "msg", "src", "arrival_ms", "start_ms", "end_ms", "worker", "outcome")

    def __init__(self, request_id: int, msg, src: str, arrival_ms: int) -> None:
        self.id, self.msg, self.src, self.arrival_ms = request_id, msg, src, arrival_ms
        self.start_ms = self.end_ms = self.worker = None
        self.outcome = "queued"

    @property
    def wait_ms(self) -> int | None:
        return None if self.start_ms is None else self.start_ms - self.arrival_ms

    @property
    def response_ms(self) -> int | None:
        return None if self.end_ms is None else self.end_ms - self.arrival_ms

    def __repr__(self) -> str:
        return (f"Request({self.id}, {self.msg!r} from {self.src}, arrival={self.arrival_ms}, "
                f"start={self.start_ms}, end={self.end_ms}, {self.outcome})")


def _check_service_args(workers, service_time, speed, capacity) -> LatencyModel:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a whole number >= 1, got {workers!r}")
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0 < speed < 1e12:
        raise ConfigError(f"speed must be a finite number > 0 (2 = twice as fast), got {speed!r}")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)
                                 or capacity < 0):
        raise ConfigError(f"capacity must be None (unbounded) or a whole number >= 0 of "
                          f"waiting requests, got {capacity!r}")
    return latency_model(service_time)


class Service(Endpoint):
    """A server with a request queue and ``workers`` cores.

    Args:
        name: the endpoint's name on the network.
        workers: how many requests are served at once (cores, threads).
        service_time: the service-time distribution at ``speed`` 1 (a latency model, a number
            of ms, or a spec tuple like ``("exponential", 0.01)``), sampled from the service's
            own random stream ``<name>.service`` and rounded to the nearest whole ms.
        speed: a faster machine divides every service time by ``speed``.
        capacity: how many requests may *wait* (besides those in service); one more is
            refused with :class:`Rejected`. None: unbounded.
        handler: optional ``handler(service, request_msg, src) -> reply or None``, called when
            a request's service completes; subclasses may override :meth:`serve` instead.

    Raises:
        ConfigError: a parameter is out of range (nothing is created).

    Example:
        >>> from caplab.sim import Simulation
        >>> from caplab.net import Network, Exponential
        >>> sim = Simulation(seed=1); net = Network(sim, latency=1)
        >>> svc = net.add(Service("db", workers=2, service_time=Exponential(0.1)))
        >>> svc.workers, svc.queue_length, svc.busy
        (2, 0, 0)
    """

    def __init__(self, name: str, *, workers: int = 1, service_time=10, speed: float = 1.0,
                 capacity: int | None = None, handler=None) -> None:
        model = _check_service_args(workers, service_time, speed, capacity)
        if handler is not None and not callable(handler):
            raise ConfigError(f"handler must be callable(service, msg, src), got {handler!r}")
        super().__init__(name)
        self.workers = workers
        self.service_time = model
        self.speed = float(speed)
        self.capacity = capacity
        self.handler = handler
        self.records: list[Request] = []       # every request ever received, in arrival order
        self.completed = self.rejected = self.dropped = 0
        self.timeline: list[tuple[int, int, int]] = [(0, 0, 0)]   # (time, queue, busy)
        self._reset_volatile()

    def _reset_volatile(self) -> None:
        self.queue: list[Request] = []         # FIFO; a list with a head index is cheaper
        self._head = 0
        self.in_service: dict[int, Request] = {}    # worker index -> request
        self._free = list(range(self.workers - 1, -1, -1))   # a stack: lowest index on top

    # -- what a monitor reads ---------------------------------------------------------------
    @property
    def queue_length(self) -> int:
        """Requests waiting for a worker."""
        return len(self.queue) - self._head

    @property
    def busy(self) -> int:
        """Workers serving a request now."""
        return len(self.in_service)

    def response_times(self) -> list[int]:
        """End minus arrival of every completed request, in completion order of arrival."""
        return [r.end_ms - r.arrival_ms for r in self.records if r.outcome == "done"]

    def utilisation(self, from_ms: int = 0, to_ms: int | None = None) -> float:
        """The busy share of the workers' time between ``from_ms`` and ``to_ms`` (now)."""
        return self._time_average(2, from_ms, to_ms) / self.workers

    def utilisation_series(self, window_ms: int) -> list[tuple[int, float]]:
        """Utilisation per window of ``window_ms`` up to now: ``[(window end, share busy)]``.

        Example:
            >>> svc.utilisation_series(1000)[:2]          # doctest: +SKIP
            [(1000, 0.42), (2000, 0.57)]
        """
        if isinstance(window_ms, bool) or not isinstance(window_ms, int) or window_ms < 1:
            raise ConfigError(f"window_ms must be a whole number >= 1, got {window_ms!r}")
        return [(end, self.utilisation(end - window_ms, end))
                for end in range(window_ms, self.now + 1, window_ms)]

    def mean_queue_length(self, from_ms: int = 0, to_ms: int | None = None) -> float:
        """The time-averaged number of waiting requests between ``from_ms`` and ``to_ms``."""
        return self._time_average(1, from_ms, to_ms)

    def metrics(self) -> dict:
        """A snapshot of plain numbers for monitoring and views."""
        times = self.response_times()
        return {"queue_length": self.queue_length, "busy": self.busy, "workers": self.workers,
                "completed": self.completed, "rejected": self.rejected,
                "dropped": self.dropped, "utilisation": self.utilisation() if self.now else 0.0,
                "mean_response_ms": sum(times) / len(times) if times else None}

    def _time_average(self, column: int, from_ms: int, to_ms: int | None) -> float:
        end = self.now if to_ms is None else to_ms
        if end <= from_ms:
            raise ConfigError(f"need from_ms < to_ms, got from_ms={from_ms}, to_ms={end}")
        area, points = 0, self.timeline
        for i, point in enumerate(points):
            start = max(point[0], from_ms)
            stop = min(points[i + 1][0] if i + 1 < len(points) else end, end)
            if stop > start:
                area += point[column] * (stop - start)
        return area / (end - from_ms)

    def _note(self) -> None:
        point = (self.now, len(self.queue) - self._head, len(self.in_service))
        if self.timeline[-1][0] == point[0]:
            self.timeline[-1] = point      # several changes at one instant: keep the last
        elif self.timeline[-1][1:] != point[1:]:
            self.timeline.append(point)

    # -- requests ---------------------------------------------------------------------------
    def receive(self, msg, src: str) -> None:
        own = getattr(self, handler_name(msg.kind), None)
        if own is not None:
            own(msg, src)        # control traffic: handled at once, not queued
        else:
            self.enqueue(msg, src)

    def enqueue(self, msg, src: str) -> Request:
        """Take ``msg`` from ``src`` as a request: serve it, queue it, or refuse it."""
        request = Request(len(self.records) + 1, msg, src, self.now)
        self.records.append(request)
        if self._free:
            self._start(request)
        elif self.capacity is not None and self.queue_length >= self.capacity:
            request.outcome = "rejected"
            self.rejected += 1
            self.send(src, Rejected(msg, self.name, f"queue full ({self.capacity} waiting, "
                                                    f"{self.workers} busy)"))
        else:
            self.queue.append(request)
        self._note()
        return request

    def service_time_ms(self, msg) -> int:
        """How long ``msg`` holds a worker: a sample of the model divided by ``speed``.

        Rounded to the nearest whole ms (not up: rounding up would add half a ms on average).
        """
        return int(self.service_time.sample(self.rng("service")) / self.speed + 0.5)

    def _start(self, request: Request) -> None:
        worker = self._free.pop()
        request.start_ms, request.worker, request.outcome = self.now, worker, "serving"
        self.in_service[worker] = request
        self.set_timer(self.service_time_ms(request.msg), self._complete, worker)

    def _complete(self, worker: int) -> None:
        request = self.in_service.pop(worker)
        request.end_ms, request.outcome = self.now, "done"
        self.completed += 1
        self._free.append(worker)
        self._free.sort(reverse=True)      # the lowest free worker index is taken next
        reply = self.serve(request.msg, request.src)
        if reply is not None:
            self.send(request.src, reply)
        if self.queue_length and self._free:
            nxt = self.queue[self._head]
            self._head += 1
            if self._head > 1024 and self._head * 2 > len(self.queue):
                del self.queue[:self._head]     # keep the list from growing without bound
                self._head = 0
            self._start(nxt)
        self._note()

    def serve(self, msg, src: str):
        """What a request does when its service completes; returns the reply (or None).

        Override in a subclass, or pass ``handler``. The default calls ``handler`` if given,
        else replies nothing.
        """
        if self.handler is not None:
            return self.handler(self, msg, src)
        return None

    # -- faults -----------------------------------------------------------------------------
    def on_crash(self) -> None:
        # Volatile: the queue and the requests in service are lost with the process; their
        # senders get no answer (an indefinite outcome: some effects may have happened).
        lost = self.queue[self._head:] + [self.in_service[w] for w in sorted(self.in_service)]
        for request in lost:
            request.outcome = "dropped"
        self.dropped += len(lost)
        self._reset_volatile()
        self._note()

    def on_restart(self) -> None:
        self._reset_volatile()      # starts empty
        self._note()


class PoissonClient(Endpoint):
    """An open-loop load generator: requests to ``target`` with exponential gaps (Poisson
    arrivals at ``rate_per_ms``), whatever the answers; it records what comes back.

    Args:
        name: the client's name.
        target: the service to send to.
        rate_per_ms: mean arrivals per ms (lambda).
        count: how many requests to send.
        make_request: ``make_request(n) -> message``; default :class:`Job`.

    Example:
        >>> client = PoissonClient("load", "db", rate_per_ms=0.05, count=1000)  # doctest: +SKIP
        >>> net.add(client); client.start(); sim.run()                        # doctest: +SKIP
    """

    is_client = True

    def __init__(self, name: str, target: str, *, rate_per_ms: float, count: int,
                 make_request=Job) -> None:
        if isinstance(rate_per_ms, bool) or not isinstance(rate_per_ms, (int, float)) \
                or not 0 < rate_per_ms < 1e12:
            raise ConfigError(f"rate_per_ms must be a finite number > 0, got {rate_per_ms!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ConfigError(f"count must be a whole number >= 0, got {count!r}")
        super().__init__(name)
        self.target, self.rate_per_ms, self.count = target, rate_per_ms, count
        self.make_request = make_request
        self.sent = 0
        self.replies: list[tuple[int, object]] = []      # (time, reply)
        self.rejections: list[tuple[int, Rejected]] = []

    def start(self) -> None:
        """Begin sending (the first request after one exponential gap)."""
        if self.count:
            self.set_timer(self._gap_ms(), self.on_send_timer)

    def _gap_ms(self) -> int:
        return int(self.rng("arrivals").expovariate(self.rate_per_ms) + 0.5)

    def on_send_timer(self) -> None:
        self.sent += 1
        self.send(self.target, self.make_request(self.sent))
        if self.sent < self.count:
            self.set_timer(self._gap_ms(), self.on_send_timer)

    def handle_job(self, msg, src: str) -> None:
        self.replies.append((self.now, msg))

    def handle_rejected(self, msg: Rejected, src: str) -> None:
        self.rejections.append((self.now, msg))
