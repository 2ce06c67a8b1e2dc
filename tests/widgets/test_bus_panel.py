"""BusPanel driven in Python: every button and option calls the playground's action and redraws
the counters and the bus view; errors show in the status area and change nothing."""

from __future__ import annotations

import pytest

from caplab.bus.playground import BusPlayground
from caplab.errors import ConfigError, UnknownNameError
from caplab.widgets import BusPanel


def counter(panel, name):
    import re
    m = re.search(rf"<b>(\d+)</b><br>{name}</td>", panel.counters.value)
    return int(m.group(1))


def test_kafka_burst_and_run_count_the_deliveries_and_draw_the_log():
    """produce 10 then run: 10 acknowledged and delivered; the figure is the topic's lanes."""
    panel = BusPanel("kafka", seed=1)
    assert panel.figure.layout.title.text.startswith("topic 'orders'")
    panel.burst_button.click()
    panel.run_button.click()
    assert counter(panel, "acknowledged") == 10 and counter(panel, "delivered") == 10
    assert counter(panel, "lost") == 0
    assert "t = " in panel.status.text and panel.status.error is None


def _crash_mid_batch(auto_commit: bool, wait_ms: int):
    """One consumer c3 (auto-commit or not) gets a burst; it crashes ``wait_ms`` later; c4
    takes over."""
    panel = BusPanel("kafka", seed=1)
    panel.auto_box.value = auto_commit
    for name in ("c1", "c2"):
        panel.consumer_box.value = name
        panel.stop_button.click()
    panel.start_button.click()
    panel.run_button.click()
    panel.burst_button.click()
    panel.playground.run_for(wait_ms)
    panel.consumer_box.value = "c3"
    panel.crash_consumer_button.click()
    panel.start_button.click()
    for _ in range(3):
        panel.run_button.click()
    assert panel.status.error is None, panel.status.text
    return panel


def test_kafka_auto_commit_loses_and_commit_after_processing_duplicates():
    """Kafka docs, "Message Delivery Semantics": committing before processing is at-most-once
    (a crash while processing loses the batch), committing after is at-least-once (the batch
    comes again); the counters show both."""
    lost = _crash_mid_batch(True, 60)
    assert lost.playground.settings["auto_commit"] is True
    assert counter(lost, "lost") == 5 and counter(lost, "duplicated") == 0
    dup = _crash_mid_batch(False, 40)
    assert counter(dup, "lost") == 0 and counter(dup, "duplicated") == 5


def test_crash_and_restart_a_broker_from_the_panel():
    """crash broker b1 marks it down in the counters line; restart brings it back."""
    panel = BusPanel("kafka", seed=1)
    panel.broker_box.value = "b1"
    panel.crash_broker_button.click()
    assert panel.playground.roles()["b1"] == "down" and "down: b1" in panel.counters.value
    panel.restart_broker_button.click()
    assert panel.playground.roles()["b1"] == "up"


def test_switching_to_rabbitmq_shows_the_queue_graph_and_its_ack_mode():
    """Choosing RabbitMQ builds a fresh broker; the view becomes the exchange/queue graph and
    the option is automatic acknowledgement."""
    panel = BusPanel("kafka", seed=1)
    panel.bus_box.value = "RabbitMQ"
    assert panel.playground.bus == "rabbit"
    assert [t.name for t in panel.figure.data][-1] == "queue"
    assert panel.auto_box in panel.options_row.children
    assert "acknowledgement" in panel.auto_box.description
    panel.auto_box.value = True
    assert panel.playground.settings == {"auto_ack": True}
    panel.burst_button.click()
    panel.run_button.click()
    assert counter(panel, "delivered") == 10


def test_nats_draws_the_subject_tree_and_loses_what_a_crashed_consumer_was_sent():
    """Core NATS (at-most-once): a crashed queue-group member's messages are lost."""
    panel = BusPanel("nats", seed=1)
    text = " ".join(panel.figure.data[-1].text)
    assert ">" in text and "[billing]" in text
    panel.consumer_box.value = "c1"
    panel.crash_consumer_button.click()
    panel.burst_button.click()
    panel.run_button.click()
    assert counter(panel, "lost") > 0 and counter(panel, "duplicated") == 0


def test_an_action_that_fails_shows_the_error_and_changes_nothing():
    """Restarting a broker that is up shows the library's message; state unchanged."""
    panel = BusPanel("rabbit", seed=1)
    before = panel.playground.roles()
    panel.broker_box.value = "r2"
    panel.restart_broker_button.click()
    assert isinstance(panel.status.error, ConfigError) and "r2" in panel.status.text
    assert panel.playground.roles() == before


def test_playground_refuses_bad_input_naming_the_value():
    """An unknown bus, setting or consumer and a bad acks are refused with the allowed ones."""
    with pytest.raises(UnknownNameError, match="kafak"):
        BusPlayground("kafak")
    p = BusPlayground("kafka", seed=1)
    with pytest.raises(ConfigError, match="acks"):
        p.set_option("acks", 2)
    with pytest.raises(UnknownNameError, match="auto_ack"):
        p.set_option("auto_ack", True)
    with pytest.raises(UnknownNameError, match="c9"):
        p.stop_consumer("c9")
    assert p.settings == {"acks": "all", "auto_commit": False}
