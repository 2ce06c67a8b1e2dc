"""The Nats facade: it describes itself, lists subscriptions, and its random queue-group
choices come from the seeded stream (same seed, same members)."""

from caplab.bus.nats import Nats
from caplab.world import Description


def test_describe_and_subscription_records():
    """describe() is a Description; subscription_records() lists what each server holds."""
    n = Nats(servers=2, seed=1)
    n.client("a", near="s2").subscribe("x.*", queue="g")
    n.run_for(20)
    d = n.describe()
    assert isinstance(d, Description) and (d.system, d.mode) == ("bus", "nats")
    assert {o.name for o in d.options_for("consume")} == {"ack_wait_ms", "max_deliver"}
    assert n.subscription_records() == [{"server": "s2", "client": "a", "sid": 1,
                                         "pattern": "x.*", "queue": "g"}]


def _members(seed):
    n = Nats(seed=seed)
    for name in ("w1", "w2", "w3"):
        n.client(name).subscribe("jobs", queue="g")
    pub = n.client("pub")
    n.run_for(20)
    for i in range(30):
        pub.publish_async("jobs", i)
    n.run_for(100)
    return [d["consumer"] for d in sorted(n.deliveries(), key=lambda d: int(d["id"][4:]))]


def test_queue_group_choices_follow_the_seed():
    """NATS picks a queue group member at random; here from the seeded stream, so the same
    seed picks the same members and another seed others."""
    assert _members(1) == _members(1)
    assert _members(1) != _members(2)
