"""The transport is an interface: the shop runs on any implementation of it."""

from __future__ import annotations

from caplab.events import EventShop
from caplab.events.check import check_delivery, check_read_models, check_saga
from caplab.events.transport import Transport


class DirectTransport(Transport):
    """A minimal bus with no node: each record is handed to every subscriber 1 ms later,
    again every 10 ms while the subscriber is down (at-least-once), acknowledged at once."""

    def __init__(self, world) -> None:
        self.sim = world.sim
        self.log: dict[str, list] = {}
        self.subs: dict[str, dict] = {}          # endpoint -> {(group, topic): handler}
        self.pending: dict[str, int] = {}

    def publish(self, producer, topic, key, payload, on_ack=None) -> None:
        part = self.log.setdefault(topic, [])
        part.append((len(part), key, payload))
        if on_ack is not None:
            self.sim.schedule(1, on_ack, (topic, 0, len(part) - 1))
        for name, subs in self.subs.items():
            for (group, t), handler in subs.items():
                if t == topic:
                    self.pending[name] = self.pending.get(name, 0) + 1
                    self.sim.schedule(1, self._hand, producer.network.endpoints[name],
                                      handler, payload)

    def _hand(self, endpoint, handler, payload) -> None:
        if not endpoint.up:
            self.sim.schedule(10, self._hand, endpoint, handler, payload)
            return
        handler(payload)
        self.pending[endpoint.name] -= 1

    def subscribe(self, consumer, group, topic, handler) -> None:
        self.subs.setdefault(consumer.name, {})[(group, topic)] = handler

    def unsubscribe(self, consumer, group, topic) -> None:
        self.subs.get(consumer.name, {}).pop((group, topic), None)

    def backlog(self, endpoint) -> int:
        return self.pending.get(endpoint.name, 0)

    def topics(self):
        return sorted(self.log)

    def records(self, topic):
        return list(self.log.get(topic, ()))


def test_the_flow_runs_on_another_transport():
    """The services and projections use only the Transport interface: on a different
    implementation the saga completes, nothing is lost and read models equal the fold."""
    shop = EventShop(seed=3, transport=DirectTransport)
    for i in range(4):
        shop.command("place", f"o{i}", customer="ann", amount=30 * i + 10,
                     address="nowhere" if i == 2 else "1 Main St", items=["hat"])
    shop.settle()
    assert isinstance(shop.transport, DirectTransport)
    statuses = {k: v["status"] for k, v in shop.services["orders"].tables["orders"].items()}
    assert statuses == {"o0": "delivered", "o1": "delivered", "o2": "cancelled",
                        "o3": "delivered"}
    for check in (check_saga, check_delivery, check_read_models):
        assert check(shop).ok, check(shop).explain()
