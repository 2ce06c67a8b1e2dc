"""A service: an endpoint on the world with its own local database and business actions.

Every participant of a two-phase commit and every saga step runs on a :class:`Service`. A
service runs an action as a local transaction: lock the action's rows (waiting in the row's
queue if another transaction holds them), compute the write set from the committed rows, commit
it atomically or refuse. Faults covered: a crash loses the service's volatile state (locks of
unprepared work, waiters); restart recovers the durable log (:mod:`caplab.txn.store`).
Refusals can be injected per action (``refuse("reserve", times=1)``) to fail a chosen step.

Example:
    >>> from caplab.txn.domains import DOMAINS
    >>> s = Service("inventory", DOMAINS["shop"])
    >>> s.store.get("stock:apple")
    100
"""

from __future__ import annotations

from ..errors import ConfigError
from ..net.endpoint import Endpoint
from .domains import Refused
from .store import LocalStore

__all__ = ["Service", "LocalDone"]


class LocalDone:
    """How a local transaction ended: ``ok``, ``output`` (dict) and ``reason`` if refused."""

    __slots__ = ("ok", "output", "reason")

    def __init__(self, ok: bool, output=None, reason: str | None = None) -> None:
        self.ok = ok
        self.output = output or {}
        self.reason = reason


class Service(Endpoint):
    """A service of ``domain`` named ``name`` (one of the domain's services).

    Args:
        name: the service (``"payment"``); also its endpoint name.
        domain: a :class:`~caplab.txn.domains.Domain`.
        sequencer: a shared counter ordering log entries across services.
        rename: the endpoint name when it differs from the service's (several shops).
    """

    def __init__(self, name: str, domain, sequencer=None, *, rename: str | None = None) -> None:
        super().__init__(rename or name)
        self.service = name
        self.domain = domain
        self.store = LocalStore(domain.initial[name], sequencer)
        self.refusals: dict[str, int | None] = {}   # action -> times left (None: always)
        self._local_txn = 0
        self._refusal_reason = "injected failure"

    # -- failure injection ---------------------------------------------------------------
    def refuse(self, action: str, times: int | None = 1, reason: str = "injected failure") -> None:
        """Make the next ``times`` runs of ``action`` refuse (None: every run).

        Raises:
            UnknownNameError: ``action`` is not one of this service's actions.
            ConfigError: ``times`` is not a whole number >= 1 (or None).
        """
        self.domain.action(self.service, action)
        if times is not None and (isinstance(times, bool) or not isinstance(times, int)
                                  or times < 1):
            raise ConfigError(f"times must be a whole number >= 1 or None (always), got {times!r}")
        self.refusals[action] = times
        self._refusal_reason = reason

    def _injected(self, action: str) -> bool:
        if action not in self.refusals:
            return False
        left = self.refusals[action]
        if left is not None:
            if left <= 1:
                del self.refusals[action]
            else:
                self.refusals[action] = left - 1
        return True

    # -- local transactions --------------------------------------------------------------
    def compute(self, action_name: str, args: dict) -> tuple[dict, dict]:
        """The write set and output of ``action_name`` on the committed rows (or Refused)."""
        if self._injected(action_name):
            raise Refused(f"{self.service}.{action_name}: {self._refusal_reason}")
        action = self.domain.action(self.service, action_name)
        return action.apply(self.store.get, args)

    def rows_for(self, action_name: str, args: dict) -> list[str]:
        return self.domain.action(self.service, action_name).rows(args)

    def run_local(self, txid: str, action_name: str, args: dict, on_done) -> None:
        """Run one action as a local transaction; ``on_done(LocalDone)`` when it ends.

        The transaction waits in the rows' lock queues if another transaction (a prepared
        one, say) holds them: PostgreSQL blocks a writer on a row lock until it is released.
        """
        store = self.store
        incarnation = self.incarnation

        def locked():
            if incarnation != self.incarnation:
                return        # the service crashed while we waited: the transaction is gone
            try:
                writes, output = self.compute(action_name, args)
            except Refused as exc:
                store.rollback(txid, self.now)
                on_done(LocalDone(False, reason=str(exc)))
                return
            store.commit_writes(txid, writes, self.now)
            on_done(LocalDone(True, output))

        if store.lock(txid, self.rows_for(action_name, args), self.now, on_granted=locked):
            locked()

    def next_local_id(self) -> str:
        self._local_txn += 1
        return f"{self.name}.local{self._local_txn}"

    # -- lifecycle -----------------------------------------------------------------------
    def on_crash(self) -> None:
        self.store.crash(self.now)

    def on_restart(self) -> None:
        self.store.recover(self.now)
