"""A service that owns its database and talks to others only through events.

Durable (the service's database, which survives a crash): its tables, the ``emitted`` list
(every event whose transaction committed, the ground truth the checkers use), the outbox, the
PROCESSED_MESSAGES table, the dead-letter list and the ``applied`` list (event ids a consumer
group applied, for the checkers). Volatile: the relay's progress in flight, the transport
client's positions and acknowledgements.

Publishing, three ways (``publish`` option):

* ``"outbox"``: the transactional outbox (microservices.io, *Transactional outbox*): the event
  is inserted into the OUTBOX table in the business transaction, and a relay publishes the rows
  in order, one at a time, marking each sent when the log acknowledges it; a message is "sent
  if and only if the database transaction commits", and the relay "might publish a message
  more than once" (a crash after publishing, before marking it sent).
* ``"after_commit"``: the dual write: commit, then publish; a crash in between loses the event.
* ``"before_commit"``: publish, then commit; a crash in between publishes an event for a write
  that never happened.

Consuming (microservices.io, *Idempotent consumer*): with ``idempotent=True`` the consumer
inserts ``(subscriber, event id)`` into PROCESSED_MESSAGES in the same transaction as its
changes, and ignores an event it finds there.

Crash points (``crash_at``: a dict point -> how many hits before it crashes): ``after_commit``
(between the database commit and the publish; with the outbox, before the relay has run),
``before_commit``, ``relay_after_publish``,
``consumer_after_apply`` (applied and committed, offset not yet committed).
"""

from __future__ import annotations

from ..net.endpoint import Endpoint
from .event import Event, EventError, decode, encode
from .transport import TransportClient

__all__ = ["Service", "Tx", "PUBLISH_MODES", "CRASH_POINTS", "BETWEEN_WRITE_AND_PUBLISH"]

PUBLISH_MODES = ("outbox", "after_commit", "before_commit")
CRASH_POINTS = ("after_commit", "before_commit", "relay_after_publish", "consumer_after_apply")
#: publish mode -> the crash point between the service's database write and its publish
BETWEEN_WRITE_AND_PUBLISH = {"outbox": "after_commit", "after_commit": "after_commit",
                             "before_commit": "before_commit"}


class Tx:
    """A local transaction: staged writes and events, applied together at commit."""

    def __init__(self, service) -> None:
        self.service = service
        self.writes: list[tuple] = []
        self.events: list[tuple] = []        # (topic, Event)
        self.processed: list[tuple] = []
        self.applied: tuple | None = None    # (subscriber, event id) this tx applies

    def put(self, table: str, key: str, value) -> None:
        self.writes.append((table, key, value))

    def get(self, table: str, key: str, default=None):
        for t, k, v in reversed(self.writes):
            if (t, k) == (table, key):
                return v
        return self.service.tables.get(table, {}).get(key, default)

    def emit(self, type: str, aggregate: str, body: dict, cause: Event | None = None) -> Event:
        """Stage an event of this service about ``aggregate`` (versions count per service)."""
        s = self.service
        version = self.get("_versions", aggregate, 0) + 1
        self.put("_versions", aggregate, version)
        event_id = f"{s.name}-{s.rng('event_ids').getrandbits(48):012x}"
        args = dict(event_id=event_id, timestamp_ms=s.local_time(), aggregate=aggregate,
                    version=version)
        event = (cause.caused(type, s.name, body, **args) if cause is not None
                 else Event.new(type, s.name, body, correlation_id=event_id, **args))
        self.events.append((s.name, event))
        return event


class Service(TransportClient, Endpoint):
    """Base of the flow's services: a database, an outbox relay, idempotent consumers.

    Args:
        name: the service's node name (also its topic).
        transport: a :class:`~caplab.events.transport.Transport`.
        publish: one of :data:`PUBLISH_MODES`.
        idempotent: keep PROCESSED_MESSAGES and ignore duplicates.
        relay_ms: how often the relay looks at the outbox.
    """

    #: topics this service listens to (its anti-corruption layer is :meth:`translate`)
    LISTENS: tuple = ()

    def __init__(self, name: str, transport, *, publish: str = "outbox",
                 idempotent: bool = True, relay_ms: int = 5) -> None:
        super().__init__(name)
        self.transport = transport
        self.publish_mode = publish
        self.idempotent = idempotent
        self.relay_ms = relay_ms
        self.crash_at: dict[str, int] = {}
        # -- durable ---------------------------------------------------------------------
        self.tables: dict[str, dict] = {}
        self.emitted: list[tuple] = []       # (commit time, Event) of committed transactions
        self.outbox: list[list] = []         # [topic, key, payload, sent]
        self._outbox_head = 0
        self.processed: set = set()          # PROCESSED_MESSAGES (subscriber, event id)
        self.applied: list[tuple] = []       # (group, event id, time): for the checkers
        self.dead_letters: list[tuple] = []  # (payload, reason)
        self.ignored = 0
        for topic in self.LISTENS:
            transport.subscribe(self, self.name, topic, self.consume)
        self._reset()

    def _reset(self) -> None:
        self._relay_busy = False
        self._relay_since = 0

    def start(self) -> None:
        self.transport.start(self)
        self.set_timer(self.relay_ms, self._relay_tick, daemon=True)

    def on_crash(self) -> None:
        super().on_crash()
        self._reset()

    def on_restart(self) -> None:
        self.start()

    # -- crash points --------------------------------------------------------------------
    def _hit(self, point: str) -> bool:
        """True (and the service is now down) when ``point`` is due to crash."""
        left = self.crash_at.get(point)
        if left is None or not self.up:
            return False
        if left > 1:
            self.crash_at[point] = left - 1
            return False
        del self.crash_at[point]
        self.trace("crash_point", f"crash at {point}", point=point)
        self.network.crash(self.name)
        return True

    # -- writing -------------------------------------------------------------------------
    def commit(self, tx: Tx) -> bool:
        """Commit ``tx`` and publish its events the configured way; False if it crashed."""
        if self.publish_mode == "before_commit":
            for topic, event in tx.events:
                self.transport.publish(self, topic, event.aggregate, encode(event))
            if self._hit("before_commit"):
                return False
        for table, key, value in tx.writes:
            self.tables.setdefault(table, {})[key] = value
        self.processed.update(tx.processed)
        if tx.applied is not None:
            self.applied.append((*tx.applied, self.now))
        for topic, event in tx.events:
            self.emitted.append((self.now, event))
            if self.publish_mode == "outbox":
                self.outbox.append([topic, event.aggregate, encode(event), False])
        # Between the commit and the publish (or, with the outbox, before the relay runs).
        if tx.events and self.publish_mode != "before_commit" and self._hit("after_commit"):
            return False
        if self.publish_mode == "after_commit":
            for topic, event in tx.events:
                self.transport.publish(self, topic, event.aggregate, encode(event))
        elif tx.events:
            self._relay_tick(again=False)
        return True

    def _relay_tick(self, again: bool = True) -> None:
        # One row in flight at a time, oldest first: the order of the outbox is kept. An
        # append not acknowledged in 10 ticks is sent again (maybe a duplicate in the log).
        if self._relay_busy and self.now - self._relay_since >= 10 * self.relay_ms:
            self._relay_busy = False
        if not self._relay_busy:
            # Rows before the head are all sent (a cursor, so the scan is not quadratic).
            head = self._outbox_head
            while head < len(self.outbox) and self.outbox[head][3]:
                head += 1
            self._outbox_head = head
            row = self.outbox[head] if head < len(self.outbox) else None
            if row is not None:
                self._relay_busy = True
                self._relay_since = self.now
                self.transport.publish(self, row[0], row[1], row[2],
                                       on_ack=lambda pos, r=row: self._relayed(r))
                self._hit("relay_after_publish")
        if again and self.up:
            self.set_timer(self.relay_ms, self._relay_tick, daemon=True)

    def _relayed(self, row: list) -> None:
        if row[3]:
            return              # the ack of a resend: already marked
        row[3] = True
        self._relay_busy = False
        self._relay_tick(again=False)

    # -- consuming -----------------------------------------------------------------------
    def consume(self, payload: str) -> None:
        """One record from the transport: decode, translate, apply once."""
        try:
            event = decode(payload)
        except EventError as exc:
            self.dead_letters.append((payload, str(exc)))
            self.trace("dead_letter", str(exc), reason=str(exc))
            return
        if self.idempotent and (self.name, event.event_id) in self.processed:
            self.trace("duplicate", f"{event.type} {event.event_id} already processed",
                       event_id=event.event_id)
            return
        tx = Tx(self)
        handled = self.translate(event, tx)
        if not handled:
            self.ignored += 1
        tx.processed.append((self.name, event.event_id))
        tx.applied = (self.name, event.event_id)
        if self.commit(tx):
            self._hit("consumer_after_apply")

    def unsent(self) -> int:
        """Outbox rows not yet acknowledged by the transport (rows before the head are)."""
        return sum(1 for r in self.outbox[self._outbox_head:] if not r[3])

    def busy(self) -> bool:
        """True while the service has work of its own pending (not counting the transport)."""
        return False

    def translate(self, event: Event, tx: Tx) -> bool:
        """The anti-corruption layer: turn a foreign event into our own model, or ignore it
        (return False). Subclasses override."""
        return False
