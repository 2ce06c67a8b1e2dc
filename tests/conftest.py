"""Shared fixtures: seeded simulations and a tiny echo protocol for network tests."""

from __future__ import annotations

import pytest

from caplab.net import Endpoint, Network, message
from caplab.sim import Simulation


@message
class Ping:
    n: int


class Recorder(Endpoint):
    """Records every message it receives; answers Ping(n) with Ping(n + 1) if asked to."""

    def __init__(self, name, echo=False):
        super().__init__(name)
        self.echo = echo
        self.got = []
        self.timers_fired = []

    def handle_ping(self, msg, src):
        self.got.append((self.now, src, msg.n))
        if self.echo:
            self.send(src, Ping(msg.n + 1))


class RecorderClient(Recorder):
    is_client = True


@pytest.fixture
def sim():
    return Simulation(seed=42)


@pytest.fixture
def net(sim):
    """Five recording nodes n1..n5 and a client 'alice' near n1, 1 ms constant latency."""
    network = Network(sim, latency=1)
    for i in range(1, 6):
        network.add(Recorder(f"n{i}"))
    network.add(RecorderClient("alice"), near="n1")
    return network
