"""Domain events: the header, JSON with a schema check, dead letters, bad input."""

from __future__ import annotations

import json

import pytest

from caplab.errors import UnknownNameError
from caplab.events import CommandError, Event, EventError, EventShop, decode, encode
from caplab.events.event import SCHEMA_VERSIONS


def _event(**changes):
    e = Event.new("OrderPlaced", "orders", {"order_id": "o1"}, event_id="e1", timestamp_ms=5,
                  aggregate="o1", version=1)
    return e.with_body(**changes) if changes else e


def _record(**changes):
    return {**json.loads(encode(_event())), **changes}


def test_encode_decode_round_trip():
    """An event survives JSON encoding unchanged, with the same bytes each time."""
    e = _event()
    assert decode(encode(e)) == e
    assert encode(e) == encode(decode(encode(e)))


def test_event_without_id_is_refused_naming_it():
    """An event with no id is refused, and the error names the field."""
    rec = _record()
    del rec["event_id"]
    with pytest.raises(EventError, match="'event_id' is a required property"):
        decode(json.dumps(rec))


def test_event_without_type_is_refused_naming_it():
    """An event with an empty type is refused, and the error names the type field."""
    with pytest.raises(EventError, match="type"):
        decode(json.dumps(_record(type="")))


def test_unknown_schema_version_is_refused_naming_it():
    """An event of schema version 7 is refused, naming 7 and the known versions."""
    with pytest.raises(EventError, match=r"unknown schema_version 7; known: \[1\]"):
        decode(json.dumps(_record(schema_version=7)))
    assert SCHEMA_VERSIONS == (1,)


def test_malformed_event_goes_to_dead_letters_with_reason_and_nothing_else_is_lost():
    """A malformed record on a topic is dead-lettered with its reason; the next event is
    still applied (RabbitMQ: rejected messages go to a dead-letter exchange)."""
    shop = EventShop(seed=3)
    log = shop.transport
    bad = json.dumps(_record(schema_version=9))
    log.publish(shop.services["orders"], "orders", "o0", bad)
    shop.command("place", "o1", customer="ann", amount=10, address="1 Main St")
    shop.settle()
    payments = shop.services["payments"]
    assert [r for _p, r in payments.dead_letters] == [
        "event 'e1': unknown schema_version 9; known: [1]"]
    assert payments.tables["payments"]["o1"]["status"] == "authorised"
    assert shop.services["orders"].tables["orders"]["o1"]["status"] == "delivered"


def test_command_on_missing_order_names_it_and_changes_nothing():
    """Cancelling an order that does not exist names it; no event, no row is written."""
    shop = EventShop(seed=1)
    with pytest.raises(CommandError, match="no order 'o404'"):
        shop.command("cancel", "o404")
    assert shop.services["orders"].emitted == [] and shop.services["orders"].outbox == []


def test_invariants_refuse_bad_commands():
    """An order cannot be placed twice nor with a non-positive amount; unknown commands are
    named with the allowed ones."""
    shop = EventShop(seed=1)
    shop.command("place", "o1", customer="ann", amount=10, address="a")
    with pytest.raises(CommandError, match="order 'o1' already exists"):
        shop.command("place", "o1", customer="ann", amount=10, address="a")
    with pytest.raises(CommandError, match="amount must be .* got -5"):
        shop.command("place", "o2", customer="ann", amount=-5, address="a")
    with pytest.raises(UnknownNameError, match="refund"):
        shop.command("refund", "o1")
    assert len(shop.services["orders"].emitted) == 1


def test_header_has_producer_clock_and_causation_chain():
    """Timestamps come from the producer's own (skewed) clock; a caused event carries the
    correlation id of the process and the id of its cause."""
    shop = EventShop(seed=1)
    shop.skew_clock("payments", offset_ms=-1000)
    shop.command("place", "o1", customer="ann", amount=10, address="a")
    shop.settle()
    placed = shop.services["orders"].emitted[0][1]
    auth = shop.services["payments"].emitted[0][1]
    assert auth.causation_id == placed.event_id
    assert auth.correlation_id == placed.correlation_id == placed.event_id
    assert auth.timestamp_ms < placed.timestamp_ms      # skewed: timestamps do not order


def test_each_context_ignores_events_it_does_not_care_about():
    """The address service listens to payments but translates only PaymentAuthorised (its
    anti-corruption layer): a PaymentDeclined is ignored and leaves no row."""
    shop = EventShop(seed=1, limit=50)
    shop.command("place", "o1", customer="ann", amount=80, address="a")
    shop.settle()
    addresses = shop.services["addresses"]
    assert addresses.ignored == 1 and "addresses" not in addresses.tables
