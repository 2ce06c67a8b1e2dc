"""The saga system: an orchestrator (the correct manager or the seed manager) and the services.

``Sagas(domain="shop", seed=1)`` builds the orchestrator ``saga`` and the shop's services;
``s.saga(s.order_steps("o1"))`` runs one saga and records it in the world's history (op
``"saga"``, key its id). Operator actions for a panel: ``refuse(service, action)`` fails a
chosen step or compensation, ``crash_after(event)`` crashes the orchestrator right after it
logs an event (``step_done``, ``step_failed``, ``compensated`` ...), plus the world's faults.
"""

from __future__ import annotations

from ..errors import ConfigError, UnknownNameError, check_flag
from ..net.latency import Uniform
from ..world.client import Driver
from ..world.describe import Description, Option, Role
from .domains import HOTEL_CITY
from .facade import TxnSystem, check_positive_ms, check_quantities
from .saga import Orchestrator, OfferReply, StartSaga, Step
from .seed import SeedOrchestrator

__all__ = ["Sagas", "MANAGERS", "EVENTS"]

MANAGERS = {"correct": Orchestrator, "seed": SeedOrchestrator}
#: saga log events after which the orchestrator can be made to crash
EVENTS = ("start", "step_done", "step_failed", "compensating", "compensated",
          "compensation_failed", "offer")


class _Driver(Driver):
    """The client library: start a saga at the orchestrator, finish on its outcome."""

    OPTIONS = {"*": {"accept_offer": False}}

    def __init__(self, system) -> None:
        self.system = system

    def complete_options(self, op, options):
        check_flag("accept_offer", options.get("accept_offer", False))
        return options

    def start(self, client, handle) -> None:
        handle.state["node"] = self.system.orchestrator.name
        client.send(self.system.orchestrator.name, StartSaga(handle.operation.key,
                                                             handle.operation.input))

    def _handle(self, client, saga):
        for handle in client.pending.values():
            if handle.operation.key == saga:
                return handle
        return None

    def receive(self, client, msg, src) -> None:
        handle = self._handle(client, msg.saga)
        if msg.kind == "Offer":
            # The customer, not the system, decides (Azure Compensating Transaction).
            accept = bool(handle is not None and handle.options.get("accept_offer", False))
            client.send(src, OfferReply(msg.saga, msg.index, accept))
            return
        if handle is None:
            return
        if msg.state == "completed":
            client.finish(handle, "ok", value=msg.state, node=src)
        elif msg.state == "compensated":
            client.finish(handle, "fail", node=src,
                          error=f"compensated (definite: every completed step undone): "
                                f"{msg.detail}")
        else:
            client.finish(handle, "info", node=src,
                          error=f"compensation failed: some effects remain, a person must "
                                f"act: {msg.detail}")

    def on_finish(self, client, handle) -> None:
        pass


class Sagas(TxnSystem):
    """Sagas across services with their own databases, run by an orchestrator.

    Args:
        domain: ``"shop"`` or ``"travel"``.
        seed: the one seed.
        manager: ``"correct"`` or ``"seed"`` (the source material's manager, two bugs), or
            a subclass of :class:`~caplab.txn.saga.Orchestrator` (lab 7's answers).
        step_timeout_ms: resend a step or compensation after this long without an answer.
        step_retries: timeouts before a compensable step counts as failed.
        compensation_retries: failed attempts before ``CompensationFailed`` is published.
        retry_ms: pause between retries; offer_timeout_ms: how long the customer may think.
        latency, world, trace: as for every system.
        initial: rows to set over the domain's own, ``{service: {row: value}}``.
        bus: also publish each ``CompensationFailed`` on a Kafka-like log on the same world
            (``alerts``, a :class:`~caplab.txn.alerts.AlertRelay`; None without a bus).

    Raises:
        ConfigError / UnknownNameError: a bad value, named; nothing is built.

    Example:
        >>> s = Sagas(seed=1)
        >>> s.saga(s.order_steps("o1")).ok
        True
    """

    def __init__(self, domain: str = "shop", *, seed: int = 0, manager: str = "correct",
                 step_timeout_ms: int = 100, step_retries: int = 3,
                 compensation_retries: int = 3, retry_ms: int = 50,
                 offer_timeout_ms: int = 500, latency=Uniform(1, 5), world=None,
                 trace: bool = True, orchestrator: str = "saga",
                 initial: dict | None = None, bus: bool = False) -> None:
        dom = self._domain(domain, initial)
        check_flag("bus", bus)
        manager_class = self._manager_class(manager)
        for name, value in (("step_timeout_ms", step_timeout_ms), ("retry_ms", retry_ms),
                            ("offer_timeout_ms", offer_timeout_ms)):
            check_positive_ms(name, value)
        check_positive_ms("step_retries", step_retries, unit="")
        check_positive_ms("compensation_retries", compensation_retries, unit="")
        names = [orchestrator] + dom.services
        if not isinstance(orchestrator, str) or not orchestrator or orchestrator in dom.services:
            raise ConfigError(f"orchestrator must be a name other than the services, "
                              f"got {orchestrator!r}")
        self._setup_world(world, seed, latency, trace, names)
        self.domain = dom
        self.manager = manager if isinstance(manager, str) else manager.__name__
        self.options = {"step_timeout_ms": step_timeout_ms, "step_retries": step_retries,
                        "compensation_retries": compensation_retries, "retry_ms": retry_ms,
                        "offer_timeout_ms": offer_timeout_ms}
        self.orchestrator = manager_class(orchestrator, **self.options)
        self.world.add_node(self.orchestrator)
        from .saga_service import SagaService
        self.services = {}
        for name in dom.services:
            self.services[name] = SagaService(name, dom, self._sequencer)
            self.world.add_node(self.services[name])
        self.driver = _Driver(self)
        self.alerts = None
        if bus:
            from ..bus.kafka import KafkaLog
            from .alerts import AlertRelay
            self.alerts = AlertRelay(KafkaLog(brokers=3, world=self.world))
            self.orchestrator.alerts = self.alerts
        self.world.note(f"sagas manager={manager} services={','.join(dom.services)}")

    @staticmethod
    def _manager_class(manager):
        """The orchestrator class named ``manager``, or ``manager`` itself when it is a
        subclass of :class:`~caplab.txn.saga.Orchestrator` (a lab's own manager)."""
        if isinstance(manager, type) and issubclass(manager, Orchestrator):
            return manager
        if not isinstance(manager, str) or manager not in MANAGERS:
            raise UnknownNameError("saga manager", manager, sorted(MANAGERS)
                                   + ["a subclass of caplab.txn.saga.Orchestrator"])
        return MANAGERS[manager]

    @property
    def nodes(self) -> list[str]:
        return [self.orchestrator.name] + list(self.services)

    # -- steps ----------------------------------------------------------------------------
    def order_steps(self, order: str, *, customer: str = "alice", item: str = "apple",
                    qty: int = 1, amount: int = 10, pivot: str | None = None) -> list[Step]:
        """The shop's order saga: create order, charge, reserve stock, schedule shipping.

        ``pivot`` names the service whose step is the point of no return (e.g. "payment").
        """
        a = {"order": order, "customer": customer, "item": item, "qty": qty, "amount": amount}
        spec = [("order", "create_order", "cancel_order"), ("payment", "charge", "refund"),
                ("inventory", "reserve", "release"), ("shipping", "schedule", "cancel_shipment")]
        if pivot is not None and pivot not in [s for s, _, _ in spec]:
            raise UnknownNameError("pivot service", pivot, [s for s, _, _ in spec])
        seen = False
        steps = []
        for service, action, comp in spec:
            is_pivot = service == pivot
            steps.append(Step(service, action, dict(a), None if seen else comp, is_pivot))
            seen = seen or is_pivot
        return steps

    def trip_steps(self, trip: str, *, customer: str = "alice", flights=("F1", "F2"),
                   seat: str = "1A", hotel: str = "H1", room: str = "101",
                   car: str | None = None) -> list[Step]:
        """The travel saga: book each flight, then a hotel (forward recovery: the other
        hotels of the same city are offered when it fails), then maybe a car."""
        steps = [Step("flight", "book_seat", {"flight": f, "seat": seat, "customer": customer},
                      "cancel_seat") for f in flights]
        if hotel not in HOTEL_CITY:
            raise UnknownNameError("hotel", hotel, sorted(HOTEL_CITY))
        city = HOTEL_CITY[hotel]
        others = tuple({"hotel": h, "unit": room, "customer": customer}
                       for h in sorted(HOTEL_CITY) if h != hotel and HOTEL_CITY[h] == city)
        steps.append(Step("hotel", "book_room", {"hotel": hotel, "unit": room,
                                                 "customer": customer}, "cancel_room",
                          alternatives=others))
        if car is not None:
            steps.append(Step("car", "rent_car", {"car": car, "unit": "1", "customer": customer},
                              "return_car"))
        return steps

    def check_steps(self, steps) -> tuple:
        """Validate saga steps (see :class:`~caplab.txn.saga.Step`); return them as a tuple.

        Raises:
            ConfigError / UnknownNameError: no steps, an unknown service or action, a
                compensable step without a compensation, two pivots, bad arguments.
        """
        steps = tuple(steps) if isinstance(steps, (list, tuple)) else None
        if not steps or not all(isinstance(s, Step) for s in steps):
            raise ConfigError("a saga is a non-empty list of Step(service, action, args, "
                              "compensation)")
        pivots = [i for i, s in enumerate(steps) if s.pivot]
        if len(pivots) > 1:
            raise ConfigError(f"a saga has at most one pivot, got steps {pivots}")
        last_compensable = pivots[0] if pivots else len(steps)
        for i, step in enumerate(steps):
            self.domain.action(step.service, step.action)
            for args in (step.args,) + tuple(step.alternatives):
                try:
                    self.domain.action(step.service, step.action).rows(args)
                except (KeyError, TypeError) as exc:
                    raise ConfigError(f"step {i} ({step.name}) cannot use arguments {args!r}: "
                                      f"missing {exc}") from None
                check_quantities(f"step {i} ({step.name})", args)
            if i < last_compensable and step.compensation is None:
                raise ConfigError(f"step {i} ({step.name}) has no compensation; every step "
                                  f"before the pivot must say how it is undone")
            if step.compensation is not None:
                self.domain.action(step.service, step.compensation)
            for derived in step.derive:
                if len(derived) != 4 or not isinstance(derived[1], int) \
                        or not 0 <= derived[1] < i:
                    raise ConfigError(f"step {i} ({step.name}): derive entries are (arg, "
                                      f"earlier step index, output key, delta), got {derived!r}")
        return steps

    # -- running ----------------------------------------------------------------------------
    def saga_async(self, steps, *, saga: str | None = None, client=None, **options):
        """Start a saga; returns its :class:`OpHandle` at once (see :meth:`saga`)."""
        steps = self.check_steps(steps)
        return self._begin("saga", "s", saga, steps, self.orchestrator, "orchestrator",
                           client, options)

    def saga(self, steps, **kwargs):
        """Run one saga and wait: ``ok`` completed, ``fail`` compensated, ``info`` unknown or
        a compensation failed. ``accept_offer=True`` accepts a forward-recovery offer."""
        handle = self.saga_async(steps, **kwargs)
        return handle.client.wait(handle)

    def crash_after(self, event: str, saga: str | None = None) -> None:
        """Crash the orchestrator right after it logs ``event`` (for ``saga``, or the next)."""
        if event not in EVENTS:
            raise UnknownNameError("saga event", event, EVENTS)
        self.orchestrator.crash_plan[(saga, event)] = True

    @property
    def records(self) -> dict:
        """saga id -> :class:`~caplab.txn.saga.SagaRecord` (the durable saga log)."""
        return self.orchestrator.sagas

    @property
    def dead_letters(self) -> list:
        """Published ``CompensationFailed`` events (the durable list; with ``bus=True`` each
        is also on the log's ``saga.compensation-failed`` topic, see ``alerts``)."""
        return list(self.orchestrator.dead_letters)

    def describe(self) -> Description:
        """Roles, options and presets for views and panels."""
        roles = {"orchestrator": Role("orchestrator", "#0072B2", symbol="star", leader=True),
                 "service": Role("service", "#009E73")}
        presets = {f"crash orchestrator after {e.replace('_', ' ')}": ("crash_after", e)
                   for e in EVENTS}
        presets["heal"] = ("heal", None)
        return Description(
            system="txn", mode=f"saga-{self.manager}",
            title=f"saga ({self.manager} manager) over {', '.join(self.services)}",
            roles=roles, presets=presets, layout="star",
            options=tuple(Option(k, v, "system", allowed="whole number > 0")
                          for k, v in self.options.items())
            + (Option("accept_offer", False, "saga", "the customer accepts another hotel",
                      choices=(True, False)),))

    def roles(self) -> dict:
        out = {self.orchestrator.name: "orchestrator" if self.orchestrator.up else "down"}
        out.update({n: "service" if s.up else "down" for n, s in self.services.items()})
        return out
