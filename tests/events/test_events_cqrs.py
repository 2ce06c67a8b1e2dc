"""CQRS: read models that lag, read-your-writes, projections under duplicates and reordering,
rebuilds by replay."""

from __future__ import annotations

from caplab.events import Event, EventShop, OrderSummary
from caplab.events.check import check_read_models


def _order_events():
    mk = lambda t, v, body: Event.new(t, "orders", body, event_id=f"e{v}", timestamp_ms=v,
                                      aggregate="o1", version=v)
    return [mk("OrderPlaced", 1, {"customer": "ann", "amount": 5, "items": ["hat"]}),
            mk("OrderPaid", 2, {}), mk("OrderShipped", 3, {}), mk("OrderDelivered", 4, {})]


def test_query_right_after_command_is_stale_and_lag_is_measured():
    """A query right after the command's acknowledgement misses it: the read store lags the
    write store (Azure Architecture Center, CQRS: the read store is eventually consistent)."""
    shop = EventShop(seed=2)
    acked = shop.now
    v = shop.command("place", "o1", customer="ann", amount=10, address="a")
    assert shop.query("order_summary", "o1") is None          # read-your-writes broken
    proj = shop.projection("order_summary")
    shop.run_until(lambda: proj.versions.get("o1", 0) >= v, timeout_ms=1000)
    lag = shop.now - acked
    assert 0 < lag < 1000
    assert shop.query("order_summary", "o1")["status"] == "placed"


def test_read_your_writes_restored_by_waiting_for_the_version():
    """The command returns the order's version; a query with min_version waits until the
    projection has applied it, so the client reads its own write."""
    shop = EventShop(seed=2)
    v = shop.command("place", "o1", customer="ann", amount=10, address="a")
    assert shop.query("order_summary", "o1", min_version=v) == {
        "status": "placed", "amount": 10, "customer": "ann", "version": 1}
    assert shop.query("customer_orders", "ann") == ["o1"]


def test_projection_is_correct_under_duplicates_and_any_order():
    """Fed the same events duplicated and in reverse, a projection equals the in-order fold
    (duplicates dropped by version, early events held back)."""
    events = _order_events()
    want = OrderSummary().fold(events)
    p = OrderSummary()
    for e in reversed(events + events):
        p.offer(e)
    assert p.model() == want and want["o1"]["status"] == "delivered"
    assert p.duplicates == 4 and p.early == 3


def test_projection_rebuilt_by_replaying_the_log():
    """Dropping a read model and replaying the log from offset 0 rebuilds the same model."""
    shop = EventShop(seed=4)
    for i in range(4):
        shop.command("place", f"o{i}", customer="bob", amount=10 + i, address="a",
                     items=["blue hat"])
    shop.settle()
    before = shop.projection("order_summary").model()
    shop.readers["summary"].rebuild()
    assert shop.projection("order_summary").model() == {}
    shop.settle()
    assert shop.projection("order_summary").model() == before
    assert check_read_models(shop).ok


def test_read_models_equal_the_fold_under_delivery_disorder():
    """With the transport duplicating and reordering records, read models still equal the fold
    over the log at quiescence."""
    shop = EventShop(seed=5, transport={"duplicate_p": 0.3, "reorder_p": 0.3})
    for i in range(6):
        shop.command("place", f"o{i}", customer=f"c{i % 2}", amount=20 * i + 10,
                     address="a" if i != 3 else "nowhere", items=[f"item {i}"])
    shop.settle()
    result = check_read_models(shop)
    assert result.ok, result.explain()
    assert shop.projection("order_summary").duplicates > 0
