"""Property: with the outbox and idempotent consumers, random crashes in the relay and the
consumers and duplicated, reordered delivery lose nothing, apply nothing twice, and leave
every read model equal to the fold over the log."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caplab.events import EventShop
from caplab.events.check import check_delivery, check_read_models, check_saga
from caplab.events.service import CRASH_POINTS

SERVICES = ("orders", "payments", "addresses", "shipping")
SAFE_POINTS = tuple(p for p in CRASH_POINTS if p in ("relay_after_publish",
                                                     "consumer_after_apply"))
crashes = st.lists(st.tuples(st.sampled_from(SERVICES), st.sampled_from(SAFE_POINTS),
                             st.integers(1, 4)), max_size=4, unique_by=lambda c: c[:2])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), crashes=crashes, dup=st.sampled_from([0.0, 0.2, 0.5]),
       reorder=st.sampled_from([0.0, 0.3]), orders=st.integers(1, 6))
def test_outbox_and_idempotent_consumers_lose_nothing_and_apply_once(seed, crashes, dup,
                                                                     reorder, orders):
    """No event lost or applied twice and read models equal the fold, under random crash
    points (microservices.io: the outbox relay may publish twice; the idempotent consumer's
    PROCESSED_MESSAGES absorbs it) and duplicated, reordered delivery."""
    shop = EventShop(seed=seed, transport={"duplicate_p": dup, "reorder_p": reorder})
    for service, point, hits in crashes:
        shop.crash_at(service, point, hits=hits)
    for i in range(orders):
        if not shop.services["orders"].up:
            shop.restart("orders")
        shop.command("place", f"o{i}", customer=f"c{i % 3}", amount=15 * i + 10,
                     address="nowhere" if i % 4 == 3 else "1 Main St", items=[f"item {i}"])
    for _ in range(20):                   # an operator restarts what crashed
        shop.run_for(50)
        for name in SERVICES:
            if not shop.services[name].up:
                shop.restart(name)
    shop.settle(max_ms=10_000)
    assert shop.quiet()
    for check in (check_delivery, check_read_models, check_saga):
        result = check(shop)
        assert result.ok, result.explain()
