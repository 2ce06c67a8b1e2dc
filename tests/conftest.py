"""Shared fixtures: seeded simulations and a tiny echo protocol for network tests."""

from __future__ import annotations

import pytest

from caplab.net import Network
from caplab.sim import Simulation
from netkit import Recorder, RecorderClient


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
