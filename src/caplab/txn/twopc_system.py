"""The two-phase commit system: a coordinator and participant services on a world.

``TwoPhaseCommit(participants=3, seed=1)`` builds a transaction manager ``tm`` and the first
three services of the shop (order, payment, inventory); a client's ``transaction(...)`` runs
one distributed transaction and is recorded in the world's history. Operator actions for a
panel: ``crash_at(phase)`` (before prepare, after the votes, after the decision is logged,
during commit), the world's crashes and partitions, ``refuse(service, action)`` for a no vote.
"""

from __future__ import annotations

from ..errors import ConfigError, UnknownNameError
from ..net.latency import Uniform
from ..world.client import Driver
from ..world.describe import Description, Option, Role
from .facade import TxnSystem, check_ops, check_positive_ms
from .twopc import PHASES, Begin, Coordinator, Participant

__all__ = ["TwoPhaseCommit"]

SERVICE_ORDER = {"shop": ("order", "payment", "inventory", "shipping"),
                 "travel": ("flight", "hotel", "car")}


class _Driver(Driver):
    """The client library: send ``Begin`` to the coordinator, finish on ``TxnOutcome``."""

    def __init__(self, system) -> None:
        self.system = system

    def start(self, client, handle) -> None:
        handle.state["node"] = self.system.coordinator.name
        client.send(self.system.coordinator.name, Begin(handle.operation.key,
                                                        handle.operation.input))

    def receive(self, client, msg, src) -> None:
        for handle in client.pending.values():
            if handle.operation.key == msg.txid:
                outcome = "committed" if msg.committed else "aborted"
                client.finish(handle, "ok" if msg.committed else "fail", value=outcome,
                              node=src, error=None if msg.committed else
                              f"aborted (definite): {msg.reason}")
                return

    def on_finish(self, client, handle) -> None:
        pass


class TwoPhaseCommit(TxnSystem):
    """Two-phase commit across services with their own databases.

    Args:
        participants: how many services take part (the first N of the domain's services) or
            a list of service names.
        seed: the one seed (same seed, same history).
        domain: ``"shop"`` or ``"travel"``.
        vote_timeout_ms: the coordinator aborts when a vote is missing after this long.
        inquiry_ms: a prepared participant asks for the outcome after this long, and again.
        retry_ms: the coordinator resends an unacknowledged commit this often.
        cooperative: participants in doubt also ask their peers (cooperative termination).
        latency: one-way network latency; world: share this world instead of a new one.
        trace: keep a trace (switch off for benchmarks).
        coordinator: the coordinator's name.
        initial: rows to set over the domain's own, ``{service: {row: value}}``.
        participant: the participants' class (a :class:`~caplab.txn.twopc.Participant`
            subclass: lab 8's in-doubt rules).

    Raises:
        ConfigError / UnknownNameError: a bad value, named; nothing is built.

    Example:
        >>> tpc = TwoPhaseCommit(participants=3, seed=1)
        >>> r = tpc.transaction(tpc.place_order("o1", customer="alice", item="apple"))
        >>> r.ok, tpc.service("inventory").store.get("stock:apple")
        (True, 99)
    """

    def __init__(self, participants=3, *, seed: int = 0, domain: str = "shop",
                 vote_timeout_ms: int = 200, inquiry_ms: int = 300, retry_ms: int = 200,
                 cooperative: bool = True, latency=Uniform(1, 5), world=None,
                 trace: bool = True, coordinator: str = "tm",
                 initial: dict | None = None, participant=Participant) -> None:
        dom = self._domain(domain, initial)
        if not (isinstance(participant, type) and issubclass(participant, Participant)):
            raise ConfigError(f"participant must be caplab.txn.twopc.Participant or a subclass "
                              f"of it, got {participant!r}")
        names = self._participants(participants, domain, dom)
        for option, value in (("vote_timeout_ms", vote_timeout_ms), ("inquiry_ms", inquiry_ms),
                              ("retry_ms", retry_ms)):
            check_positive_ms(option, value)
        if not isinstance(coordinator, str) or not coordinator or coordinator in names:
            raise ConfigError(f"coordinator must be a name other than the services, "
                              f"got {coordinator!r}")
        self._setup_world(world, seed, latency, trace, [coordinator] + names)
        self.domain = dom
        self.options = {"vote_timeout_ms": vote_timeout_ms, "inquiry_ms": inquiry_ms,
                        "retry_ms": retry_ms, "cooperative": bool(cooperative)}
        self.coordinator = Coordinator(coordinator, vote_timeout_ms=vote_timeout_ms,
                                       retry_ms=retry_ms)
        self.world.add_node(self.coordinator)
        self.services = {}
        for name in names:
            svc = participant(name, dom, self._sequencer, inquiry_ms=inquiry_ms,
                              cooperative=bool(cooperative))
            self.services[name] = svc
            self.world.add_node(svc)
        self.driver = _Driver(self)
        self.world.note(f"2pc coordinator={coordinator} participants={','.join(names)}")

    @staticmethod
    def _participants(participants, domain, dom) -> list[str]:
        order = SERVICE_ORDER[domain]
        if isinstance(participants, bool):
            raise ConfigError(f"participants must be a count or a list, got {participants!r}")
        if isinstance(participants, int):
            if not 1 <= participants <= len(order):
                raise ConfigError(f"participants must be between 1 and {len(order)} for the "
                                  f"{domain} ({', '.join(order)}), got {participants}")
            return list(order[:participants])
        names = list(participants)
        for name in names:
            if name not in dom.initial:
                raise UnknownNameError(f"{domain} service", name, list(order))
        if not names or len(set(names)) != len(names):
            raise ConfigError(f"participants must be distinct services, got {names!r}")
        return names

    @property
    def nodes(self) -> list[str]:
        return [self.coordinator.name] + list(self.services)

    # -- transactions -------------------------------------------------------------------------
    def place_order(self, order: str, *, customer: str = "alice", item: str = "apple",
                    qty: int = 1, amount: int = 10, **travel) -> dict:
        """The ops of one order for the participating services (shop or travel).

        Travel takes ``flight``, ``seat``, ``hotel``, ``room``, ``car`` (defaults F1, 1A, H1,
        101, C1).
        """
        a = {"order": order, "customer": customer, "item": item, "qty": qty, "amount": amount}
        full = {"order": ("create_order", a), "payment": ("charge", a),
                "inventory": ("reserve", a), "shipping": ("schedule", a),
                "flight": ("book_seat", {"flight": travel.get("flight", "F1"),
                                         "seat": travel.get("seat", "1A"), "customer": customer}),
                "hotel": ("book_room", {"hotel": travel.get("hotel", "H1"),
                                        "unit": travel.get("room", "101"), "customer": customer}),
                "car": ("rent_car", {"car": travel.get("car", "C1"), "unit": "1",
                                     "customer": customer})}
        return {s: full[s] for s in self.services}

    def transaction_async(self, ops: dict, *, txid: str | None = None, client=None, **options):
        """Start one distributed transaction; returns its :class:`OpHandle` at once.

        Raises:
            ConfigError: bad ops (unknown service or action), a duplicate id, or the
                coordinator is down; nothing is sent and the history is unchanged.
        """
        steps = check_ops(self.domain, list(self.services), ops)
        return self._begin("txn", "t", txid, steps, self.coordinator, "coordinator",
                           client, options)

    def transaction(self, ops: dict, **kwargs):
        """Run one distributed transaction and wait: ``ok`` committed, ``fail`` aborted,
        ``info`` unknown (the coordinator crashed or the client timed out)."""
        handle = self.transaction_async(ops, **kwargs)
        return handle.client.wait(handle)

    def crash_at(self, phase: str, txid: str | None = None) -> None:
        """Crash the coordinator when transaction ``txid`` (None: the next) reaches ``phase``.

        Raises:
            UnknownNameError: ``phase`` is not one of :data:`~caplab.txn.twopc.PHASES`.
        """
        if phase not in PHASES:
            raise UnknownNameError("phase", phase, PHASES)
        self.coordinator.crash_plan[phase] = txid

    # -- state for checkers and views ---------------------------------------------------------
    def participant_states(self) -> dict:
        """txid -> {service: "committed" / "aborted" / "prepared" / "unknown"}."""
        out: dict = {}
        txids = [op.key for op in self.world.history.ops if op.op == "txn"]
        for txid in txids:
            row = {}
            for name, svc in self.services.items():
                if txid in svc.store.prepared:
                    row[name] = "prepared"
                else:
                    row[name] = svc.store.outcomes.get(txid, "unknown")
            out[txid] = row
        return out

    def blocked(self) -> dict:
        """service -> transactions prepared and waiting for a decision (holding locks)."""
        return {n: sorted(s.store.prepared) for n, s in self.services.items()}

    def waiting(self, service: str) -> list[str]:
        """Transactions queued for a row lock at ``service``, oldest first."""
        return self.service(service).store.waiting

    def describe(self) -> Description:
        """Roles, options and presets for views and panels."""
        roles = {"coordinator": Role("coordinator", "#0072B2", symbol="star", leader=True,
                                     label="coordinator"),
                 "participant": Role("participant", "#009E73", label="participant")}
        presets = {f"crash coordinator {p.replace('_', ' ')}": ("crash_at", p) for p in PHASES}
        first = next(iter(self.services))
        presets[f"isolate {first}"] = ("isolate", first)
        presets["heal"] = ("heal", None)
        return Description(
            system="txn", mode="2pc", title=f"two-phase commit: {self.coordinator.name} and "
            f"{', '.join(self.services)}", roles=roles, presets=presets, layout="star",
            options=(Option("vote_timeout_ms", self.options["vote_timeout_ms"], "system",
                            "abort when a vote is missing", allowed="ms > 0"),
                     Option("inquiry_ms", self.options["inquiry_ms"], "system",
                            "an in-doubt participant asks this often", allowed="ms > 0"),
                     Option("retry_ms", self.options["retry_ms"], "system",
                            "resend an unacknowledged commit", allowed="ms > 0"),
                     Option("cooperative", self.options["cooperative"], "system",
                            "in-doubt participants ask their peers", choices=(True, False)),
                     Option("phase", None, "crash_at", "where the coordinator crashes",
                            choices=PHASES)))

    def roles(self) -> dict:
        out = {self.coordinator.name: "coordinator" if self.coordinator.up else "down"}
        out.update({n: "participant" if s.up else "down" for n, s in self.services.items()})
        return out
