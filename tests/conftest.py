"""Shared fixtures: seeded simulations, a tiny echo protocol for network tests, and the Porcupine
corpus (skipped when absent, except in CI, where a missing corpus fails the run)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from caplab.history.porcupine import porcupine_dir
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


def in_ci() -> bool:
    """True when the environment says CI (``CI=true``, as GitHub Actions and GitLab set it)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def porcupine_corpus() -> Path:
    """The Porcupine corpus folder (``$CAPLAB_SHARED/data/porcupine`` or ``../shared/data``).

    Absent, the test is skipped with a message saying where it looked; in CI it fails instead,
    so an acceptance suite that silently did not run cannot pass."""
    corpus = porcupine_dir()
    if not (corpus / "expected.txt").exists():
        message = (f"Porcupine corpus not found at {corpus} (no expected.txt); set CAPLAB_SHARED "
                   f"to the shared folder holding data/porcupine")
        if in_ci():
            pytest.fail(message + "; in CI (CI=true) the corpus tests must run", pytrace=False)
        pytest.skip(message)
    return corpus
