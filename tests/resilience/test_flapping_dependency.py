"""The flapping dependency of lab 11: a seeded schedule, numbers that repeat for a seed, a
failover whose un-jittered retries come back as waves (AWS Architecture Blog, "Exponential
Backoff and Jitter"), and bad policies refused by name."""

import pytest

from caplab.errors import ConfigError
from caplab.resilience import Backoff, Retry
from caplab.resilience.flapping import flap_schedule, run_flapping, run_reconnect


def test_same_seed_same_schedule_and_numbers():
    """A seed fixes the schedule and every measured number."""
    assert flap_schedule(3) == flap_schedule(3) != flap_schedule(4)
    a, b = run_flapping({"timeout_ms": 100}, 3), run_flapping({"timeout_ms": 100}, 3)
    assert {k: v for k, v in a.items() if k != "caller"} == \
        {k: v for k, v in b.items() if k != "caller"}


def test_unjittered_retries_after_a_failover_come_in_waves():
    """Clients that failed together retry together without jitter: a higher peak load, and
    the busiest 100 ms is beyond what the dependency can serve (AWS backoff-and-jitter)."""
    none = {"timeout_ms": 100, "retry": Retry(5, Backoff("none", base_ms=20, cap_ms=400))}
    full = {"timeout_ms": 100, "retry": Retry(5, Backoff("full", base_ms=20, cap_ms=400))}
    for seed in (1, 2):
        waves, spread = run_reconnect(none, seed), run_reconnect(full, seed)
        assert waves["peak_load"] > 2 > spread["peak_load"]
        assert waves["gave_up"] == spread["gave_up"] == 0


def test_a_bad_policy_is_refused_by_name():
    """An unknown option and a retry that is not a Retry are named."""
    with pytest.raises(ConfigError, match="unknown policy option 'retries'"):
        run_flapping({"retries": 3}, 1)
    with pytest.raises(ConfigError, match="retry must be a Retry"):
        run_flapping({"retry": 3}, 1)
