"""Domain events: a header and a body, encoded as JSON and checked against a schema.

The header says which event it is (an id drawn from the seeded random stream, as a UUID would
be), what happened (``type``), who said so (``source`` service), when by the producer's own
clock (``timestamp_ms``: the producer's ``local_time()``, which may be skewed, so timestamps
from different services do not order events), which business process it belongs to
(``correlation_id``) and which event caused it (``causation_id``), and the schema version of
the body. The body is the event's facts, for example ``{"order_id": "o1", "amount": 30}``.

The schema check is done by ``jsonschema`` (Draft 2020-12), a well-kept library: a malformed
event raises :class:`EventError` naming the bad value, and a consumer puts it on its
dead-letter list with the reason instead of applying it (RabbitMQ: a rejected message goes to
a dead-letter exchange).

Example:
    >>> e = Event.new("OrderPlaced", "orders", {"order_id": "o1"}, event_id="e1",
    ...               timestamp_ms=5, aggregate="o1", version=1)
    >>> decode(encode(e)) == e
    True
"""

from __future__ import annotations

import json
from functools import lru_cache
from dataclasses import asdict, dataclass, field, replace

import jsonschema

from ..errors import ConfigError

__all__ = ["Event", "EventError", "SCHEMA_VERSIONS", "HEADER_SCHEMA", "encode", "decode",
           "validate"]

#: the schema versions this lab understands; an event of another version is refused
SCHEMA_VERSIONS = (1,)


class EventError(ConfigError):
    """A malformed event: the message names the bad field and value."""


HEADER_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["event_id", "type", "source", "timestamp_ms", "correlation_id",
                 "causation_id", "schema_version", "aggregate", "version", "body"],
    "properties": {
        "event_id": {"type": "string", "minLength": 1},
        "type": {"type": "string", "minLength": 1},
        "source": {"type": "string", "minLength": 1},
        "timestamp_ms": {"type": "integer"},
        "correlation_id": {"type": ["string", "null"]},
        "causation_id": {"type": ["string", "null"]},
        "schema_version": {"type": "integer"},
        "aggregate": {"type": "string", "minLength": 1},
        "version": {"type": "integer", "minimum": 1},
        "body": {"type": "object"},
    },
    "additionalProperties": False,
}
_VALIDATOR = jsonschema.Draft202012Validator(HEADER_SCHEMA)


@dataclass(frozen=True)
class Event:
    """One domain event: header fields and a ``body`` dict.

    ``aggregate`` and ``version`` say which aggregate emitted it and its version after the
    event (1, 2, ...): a projection uses them to drop duplicates and hold back early events.
    """

    event_id: str
    type: str
    source: str
    timestamp_ms: int
    correlation_id: str | None
    causation_id: str | None
    schema_version: int
    aggregate: str
    version: int
    body: dict = field(default_factory=dict)

    @classmethod
    def new(cls, type: str, source: str, body: dict, *, event_id: str, timestamp_ms: int,
            aggregate: str, version: int, correlation_id: str | None = None,
            causation_id: str | None = None, schema_version: int = 1) -> "Event":
        """Build and check an event.

        Raises:
            EventError: a missing id or type, an unknown schema version, a bad field.
        """
        event = cls(event_id, type, source, timestamp_ms, correlation_id, causation_id,
                    schema_version, aggregate, version, dict(body))
        validate(asdict(event))
        return event

    def caused(self, type: str, source: str, body: dict, *, event_id: str,
               timestamp_ms: int, aggregate: str, version: int) -> "Event":
        """A new event caused by this one: same correlation id, causation id = our id."""
        return Event.new(type, source, body, event_id=event_id, timestamp_ms=timestamp_ms,
                         aggregate=aggregate, version=version,
                         correlation_id=self.correlation_id or self.event_id,
                         causation_id=self.event_id)

    def with_body(self, **changes) -> "Event":
        """A copy with header fields changed (used by tests to make bad events)."""
        return replace(self, **changes)


def validate(record: dict) -> dict:
    """Check a decoded event record against :data:`HEADER_SCHEMA` and the known versions.

    Args:
        record: the event as a plain dict.
    Returns:
        the same dict.
    Raises:
        EventError: names the field and the bad value (the first error jsonschema finds).
    Example:
        >>> validate({"type": "X"})
        Traceback (most recent call last):
        caplab.events.event.EventError: event None of type 'X': header: 'event_id' is a required property
    """
    if not isinstance(record, dict):
        raise EventError(f"an event must be a JSON object, got {record!r}")
    errors = sorted(_VALIDATOR.iter_errors(record), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.path) or "header"
        raise EventError(f"event {record.get('event_id')!r} of type {record.get('type')!r}: "
                         f"{where}: {err.message}")
    if record["schema_version"] not in SCHEMA_VERSIONS:
        raise EventError(f"event {record['event_id']!r}: unknown schema_version "
                         f"{record['schema_version']!r}; known: {list(SCHEMA_VERSIONS)}")
    return record


def encode(event: Event) -> str:
    """The event as JSON text (keys sorted: same event, same bytes)."""
    return json.dumps(asdict(event), sort_keys=True, separators=(",", ":"))


def decode(text: str) -> Event:
    """Parse and check JSON text into an :class:`Event`.

    The same record is read by several consumers (and again on a redelivery or a replay): a
    valid text is parsed and checked once and its (frozen) event shared; its body is not to be
    changed.

    Raises:
        EventError: not JSON, or not a valid event (the reason names the value).
    """
    if isinstance(text, str):
        return _decode_text(text)
    return _decode(text)


def _decode(text) -> Event:
    try:
        record = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise EventError(f"not JSON: {text!r:.80} ({exc})") from None
    validate(record)
    return Event(**record)


# Errors are not cached (lru_cache caches only returns): a bad record is refused every time.
_decode_text = lru_cache(maxsize=16384)(_decode)
