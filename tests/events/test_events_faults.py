"""Faults on the transport and the read side, and option errors that name the bad value."""

from __future__ import annotations

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.events import EventShop
from caplab.events.check import check_delivery, check_read_models, check_saga


def _place(shop, oid="o1"):
    return shop.command("place", oid, customer="ann", amount=30, address="1 Main St",
                        items=["red shoes"])


def test_partition_from_the_log_stalls_then_catches_up():
    """A service cut off from the log neither publishes nor consumes (nothing is replicated);
    after the heal its outbox relay and its consumer catch up and nothing is lost."""
    shop = EventShop(seed=7)
    shop.partition(["payments"], ["log", "orders", "addresses", "shipping", "summary",
                                  "search"])
    _place(shop)
    shop.run_for(300)
    assert "payments" not in shop.services["payments"].tables
    shop.heal()
    shop.settle()
    for check in (check_saga, check_delivery, check_read_models):
        assert check(shop).ok, check(shop).explain()


def test_read_your_writes_times_out_naming_the_version_when_the_reader_is_down():
    """With the projection node down, a query waiting for version 1 gives up and says which
    version it has and which it wanted."""
    shop = EventShop(seed=7)
    shop.crash("summary")
    v = _place(shop)
    with pytest.raises(TimeoutError, match=r"version 0 of 'o1' after 300 ms, wanted 1"):
        shop.query("order_summary", "o1", min_version=v, timeout_ms=300)
    shop.restart("summary")
    assert shop.query("order_summary", "o1", min_version=v)["version"] >= v


def test_projection_node_crash_keeps_its_store_and_resumes_from_committed_offset():
    """A restarted projection node resumes from its group's committed offset; the read model
    ends equal to the fold of the log."""
    shop = EventShop(seed=8)
    for i in range(3):
        _place(shop, f"o{i}")
    shop.run_for(40)
    shop.crash("search")
    shop.run_for(200)
    shop.restart("search")
    shop.settle()
    assert check_read_models(shop).ok


def test_bad_options_are_named():
    """Unknown publish modes, services, crash points, read models and bad transport options
    are refused, naming the value."""
    with pytest.raises(UnknownNameError, match="carrier pigeon"):
        EventShop(publish="carrier pigeon")
    with pytest.raises(ConfigError, match="partitions must be .* got 0"):
        EventShop(transport={"partitions": 0})
    shop = EventShop(seed=1)
    with pytest.raises(UnknownNameError, match="billing"):
        shop.crash_at("billing", "after_commit")
    with pytest.raises(UnknownNameError, match="mid_air"):
        shop.crash_at("payments", "mid_air")
    with pytest.raises(UnknownNameError, match="price_list"):
        shop.query("price_list", "o1")
    with pytest.raises(UnknownNameError, match="'nowhere'"):
        shop.crash("nowhere")
