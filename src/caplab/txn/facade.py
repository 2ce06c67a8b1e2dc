"""What the transaction facades share: domains, services, validated operations, clients.

A transaction system (:class:`~caplab.txn.TwoPhaseCommit`, :class:`~caplab.txn.Sagas`) is a
:class:`~caplab.world.System` on a world: it adds its services (endpoints with their own
databases) and a coordinator or orchestrator; clients record every transaction or saga in the
world's history as one operation (``op`` ``"txn"`` or ``"saga"``, ``key`` its id, ``input`` its
steps, ``output`` its outcome).
"""

from __future__ import annotations

from itertools import count

from ..errors import ConfigError, UnknownNameError
from ..world.client import Client
from ..world.system import System
from .domains import DOMAINS, Domain

__all__ = ["TxnSystem", "TxnClient", "check_positive_ms", "check_ops", "check_quantities"]


def check_positive_ms(name: str, value, unit: str = "milliseconds") -> int:
    """``value`` if it is a whole number (of ``unit``) > 0, else :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        what = f"a whole number of {unit}" if unit else "a whole number"
        raise ConfigError(f"{name} must be {what} > 0, got {value!r}")
    return value


#: arguments that count something (money, items): a negative one would turn a charge into a
#: payment or a reservation into a restock, so they are refused up front
QUANTITIES = ("amount", "qty")


def check_quantities(where: str, args: dict) -> None:
    """Refuse an ``amount`` or ``qty`` that is not a whole number > 0.

    Raises:
        ConfigError: naming ``where``, the argument and its value.

    Example:
        >>> check_quantities("payment.charge", {"amount": 10})
        >>> check_quantities("payment.charge", {"amount": -5})
        Traceback (most recent call last):
        ...
        caplab.errors.ConfigError: payment.charge: amount must be a whole number > 0, got -5
    """
    for name in QUANTITIES:
        if name in args:
            value = args[name]
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{where}: {name} must be a whole number > 0, got {value!r}")


def check_ops(domain, services, ops) -> tuple:
    """Validate ``{service: (action, args)}``; return ``((service, action, args), ...)``.

    Raises:
        ConfigError / UnknownNameError: an empty mapping, an unknown service or action, or
            arguments the action cannot use; naming the bad value.
    """
    if not isinstance(ops, dict) or not ops:
        raise ConfigError(f"a transaction is a non-empty dict {{service: (action, args)}}, "
                          f"got {ops!r}")
    out = []
    for service, spec in ops.items():
        if service not in services:
            raise UnknownNameError("service", service, services)
        if not isinstance(spec, (tuple, list)) or len(spec) != 2 or not isinstance(spec[1], dict):
            raise ConfigError(f"the operation for {service!r} must be (action, args dict), "
                              f"got {spec!r}")
        action, args = spec
        act = domain.action(service, action)
        try:
            act.rows(args)
        except KeyError as exc:
            raise ConfigError(f"{service}.{action} needs argument {exc.args[0]!r}; "
                              f"got {sorted(args)}") from None
        check_quantities(f"{service}.{action}", args)
        out.append((service, action, dict(args)))
    return tuple(out)


class TxnClient(Client):
    """A client of a transaction system: its operations go through the system's driver."""


class TxnSystem(System):
    """Base of the transaction facades: a world, a domain, its services, ids and clients."""

    family = "txn"

    def _setup_world(self, world, seed, latency, trace, names) -> None:
        self.world = self.world_for(world, names, what="service", seed=seed, latency=latency,
                                    trace=trace)
        self._ids = count(1)
        self._used: set[str] = set()
        self._sequencer = count(1).__next__

    @staticmethod
    def _domain(domain, initial=None):
        """The domain called ``domain``, with ``initial`` rows ({service: {row: value}})
        merged over its own (more stock, fewer seats ...)."""
        if domain not in DOMAINS:
            raise UnknownNameError("domain", domain, sorted(DOMAINS))
        dom = DOMAINS[domain]
        if not initial:
            return dom
        if not isinstance(initial, dict):
            raise ConfigError(f"initial must be a dict {{service: {{row: value}}}}, "
                              f"got {initial!r}")
        merged = {name: dict(rows) for name, rows in dom.initial.items()}
        for service, rows in initial.items():
            if service not in merged:
                raise UnknownNameError(f"{domain} service", service, dom.services)
            if not isinstance(rows, dict):
                raise ConfigError(f"initial[{service!r}] must be a dict of rows, got {rows!r}")
            merged[service].update(rows)
        return Domain(dom.name, merged, dom.actions)

    def _own_nodes(self) -> list[str]:
        return list(self.nodes)

    def service(self, name: str):
        """The service endpoint ``name`` (its ``store`` holds its database)."""
        if name not in self.services:
            raise UnknownNameError("service", name, list(self.services))
        return self.services[name]

    def data(self) -> dict:
        """service -> its committed rows (a copy)."""
        return {name: dict(s.store.data) for name, s in self.services.items()}

    def client(self, name: str, near: str | None = None) -> TxnClient:
        """A client endpoint called ``name`` placed near ``near`` (default: the coordinator)."""
        if not isinstance(name, str) or not name:
            raise ConfigError(f"a client name must be a non-empty string, got {name!r}")
        client = TxnClient(name, self)
        self.world.add_client(client, near=near or self.nodes[0])
        return client

    def _default_client(self):
        name = f"{self.nodes[0]}-client"
        if name not in self.world.clients:
            self.client(name)
        return self.world.clients[name]

    def _begin(self, op: str, prefix: str, ident, payload, manager, role: str, client,
               options: dict):
        """Start operation ``op`` (a transaction or a saga) through ``manager``: every check
        first (the manager is up, the id is new, the options are valid), then the client."""
        if not manager.up:
            what = {"txn": "transaction"}.get(op, op)
            raise ConfigError(f"{role} {manager.name!r} is down: a {what} cannot start; "
                              f"restart({manager.name!r}) first")
        ident = self._new_id(prefix, ident)
        self.driver.validate_options(op, dict(options))      # before a client is made
        client = client or self._default_client()
        handle = client.invoke(op, ident, payload, options)
        self._used.add(ident)
        return handle

    def _new_id(self, prefix: str, given) -> str:
        """``given`` if it is a fresh id, else the next free ``prefix<n>`` (nothing changes)."""
        if given is not None:
            if not isinstance(given, str) or not given:
                raise ConfigError(f"an id must be a non-empty string, got {given!r}")
            if given in self._used:
                raise ConfigError(f"id {given!r} is already used; choose another")
            return given
        n = len(self._used) + 1
        while f"{prefix}{n}" in self._used:
            n += 1
        return f"{prefix}{n}"

    def refuse(self, service: str, action: str, times: int | None = 1) -> None:
        """Make ``service`` refuse its next ``times`` runs of ``action`` (None: always)."""
        self.service(service).refuse(action, times)

    def local(self, service: str, action: str, args: dict, on_done=None) -> str:
        """Start another application's local transaction at ``service``; returns its id.

        It takes the same row locks, so it waits behind a prepared transaction's locks.
        """
        svc = self.service(service)
        check_ops(self.domain, [service], {service: (action, args)})
        txid = svc.next_local_id()
        svc.run_local(txid, action, dict(args), on_done or (lambda done: None))
        return txid
