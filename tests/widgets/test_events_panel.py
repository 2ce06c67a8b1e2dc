"""EventsPanel in-process: the dual-write story by button, with and without the outbox."""

from __future__ import annotations

import pytest

from caplab.errors import UnknownNameError
from caplab.widgets import EventsPanel


@pytest.mark.parametrize("publish, verdict", [("after_commit", "lost event"),
                                              ("before_commit", "phantom event"),
                                              ("outbox", "consistent")])
def test_the_story_gives_each_publish_modes_verdict(publish, verdict):
    """Crash payments between its write and its publish: commit-then-publish loses the event,
    publish-then-commit publishes a phantom, the outbox is consistent (microservices.io,
    Transactional outbox)."""
    panel = EventsPanel(seed=1, publish=publish)
    assert panel.scenario() == verdict
    assert f"data-verdict='{verdict}'" in panel.verdict_box.value
    assert panel.verdicts["event delivery"].startswith(
        "event delivery: ok" if verdict == "consistent" else "event delivery: violated")


def test_buttons_step_through_the_crash_and_redraw_the_views():
    """Arm, place (payments goes down), restart, settle: the status says each step, the log
    table gains rows and the flow diagram its edges."""
    panel = EventsPanel(seed=1, publish="after_commit")
    assert len(panel.figures["table"].data[0].cells.values[0]) == 0
    panel.buttons["arm crash"].click()
    assert "payments will crash at after_commit" in panel.status.text
    panel.buttons["place order"].click()
    assert "down: payments" in panel.status.text and not panel.shop.services["payments"].up
    panel.buttons["restart"].click()
    assert "restarted payments" in panel.status.text
    panel.buttons["settle"].click()
    assert panel.verdict == "lost event"
    rows = panel.figures["table"].data[0].cells.values[2]
    assert "OrderPlaced" in rows and "PaymentAuthorised" not in rows
    texts = [t for trace in panel.figures["flow"].data for t in (trace.text or ())]
    assert any("OrderPlaced" in t for t in texts)


def test_changing_the_publish_mode_builds_a_new_shop():
    """Choosing 'outbox' in the dropdown starts a fresh shop with the outbox."""
    panel = EventsPanel(seed=1, publish="after_commit")
    old = panel.shop
    panel.publish_box.value = "outbox"
    assert panel.shop is not old and panel.shop.services["payments"].publish_mode == "outbox"
    assert panel.scenario() == "consistent"


def test_break_it_crash_points_stay_consistent_with_the_outbox():
    """With the outbox, a relay crash after publishing (a duplicate) and a consumer crash
    before its offset commit (a redelivery) leave every checker satisfied."""
    panel = EventsPanel(seed=1)
    for point in ("relay_after_publish", "consumer_after_apply"):
        panel.point_box.value = point
        assert panel.scenario() == "consistent"
        assert all(": ok" in line for line in panel.verdicts.values()), panel.verdicts


def test_errors_are_shown_in_the_status_not_raised():
    """Placing an order while the orders service is down shows the library's message; bad
    constructor arguments are named."""
    panel = EventsPanel(seed=1)
    panel.shop.crash("orders")
    panel.buttons["place order"].click()
    assert "orders service is down" in panel.status.text and panel.status.error is not None
    with pytest.raises(UnknownNameError, match="'orders'"):
        EventsPanel(service="orders")
    with pytest.raises(UnknownNameError, match="'sometimes'"):
        EventsPanel(publish="sometimes")
