"""The call pipeline on the world: outcomes in the history, retries, breaker, bulkhead,
fallback, crashes, bad input and determinism."""

import subprocess
import sys
from pathlib import Path

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.resilience import (Backoff, BreakerConfig, Bulkhead, Dependency, ResilientCaller,
                               Retry, add_caller, open_loop)
from caplab.world import World

SRC = str(Path(__file__).resolve().parents[2] / "src")


def world_with(dep_kwargs=None, **policy):
    w = World(seed=7, latency=1)
    w.add_node(Dependency("db", **(dep_kwargs or {"latency": 10})))
    return w, add_caller(w, "app", "db", **policy)


def test_ok_call_is_recorded_with_its_options():
    """A successful call is an ok operation 'call' on the dependency, with the policy."""
    w, c = world_with(timeout_ms=100)
    r = c.wait(c.call("q"))
    op = w.history[0]
    assert r.ok and r.outcome == "ok" and r.attempts == 1 and r.value == "db:q"
    assert (op.op, op.key, op.outcome, op.options["timeout_ms"]) == ("call", "db", "ok", 100)
    assert c.records[0]["attempts"] == 1 and c.records[0]["latency_ms"] == r.latency_ms


def test_error_reply_is_definite_and_timeout_is_unknown():
    """An error answer is fail (it did not happen); a timeout is info (it may have)."""
    w, c = world_with({"latency": 10, "fail_p": 1.0}, timeout_ms=100)
    assert c.wait(c.call()).outcome == "fail"
    w.network.endpoints["db"].make_failing(0.0)
    w.network.endpoints["db"].make_slow(500)
    r = c.wait(c.call())
    assert r.outcome == "info" and "timeout" in r.error and r.latency_ms == 100


def test_retries_follow_the_backoff_until_max_attempts():
    """A failing dependency is tried max_attempts times, sleeping the backoff in between."""
    w, c = world_with({"latency": 0, "fail_p": 1.0}, timeout_ms=100,
                      retry=Retry(3, Backoff("none", base_ms=10, cap_ms=1000)))
    r = c.wait(c.call())
    assert r.attempts == 3 and c.dependency_calls == 3 and r.outcome == "fail"
    # three round trips of 2 ms, and sleeps of 20 + 40 ms (expo(1), expo(2))
    assert r.latency_ms == 3 * 2 + 20 + 40


def test_retry_succeeds_when_the_dependency_recovers():
    """A transient failure is hidden by a retry."""
    w, c = world_with({"latency": 0, "fail_p": 1.0}, timeout_ms=100,
                      retry=Retry(5, Backoff("none", base_ms=50, cap_ms=1000)))
    w.sim.schedule(60, w.network.endpoints["db"].make_failing, 0.0)
    r = c.wait(c.call())
    assert r.ok and r.attempts == 2


def test_open_breaker_fails_fast_without_calling_and_uses_the_fallback():
    """An OPEN breaker refuses at once (definite), the dependency is not called, retries stop,
    and the fallback answers."""
    cfg = BreakerConfig(minimum_number_of_calls=2, sliding_window_size=2,
                        wait_duration_in_open_state_ms=1000)
    w, c = world_with({"latency": 0, "fail_p": 1.0}, timeout_ms=100, breaker=cfg,
                      retry=Retry(5, Backoff("none", base_ms=1, cap_ms=1)),
                      fallback=lambda error: "cached")
    r = c.wait(c.call())
    assert c.state == "OPEN" and r.attempts == 3 and c.dependency_calls == 2
    before = c.dependency_calls
    r = c.wait(c.call())
    assert (r.ok, r.value, r.fallback, r.outcome, r.latency_ms) == (True, "cached", True,
                                                                     "fail", 0)
    assert c.dependency_calls == before
    assert "fallback used" in w.history[-1].error and w.history[-1].outcome == "fail"
    assert c.records[-1]["breaker_state"] == "OPEN"
    events = [e for e in w.sim.trace if e.kind == "breaker"]
    assert [(e.node, e.data["previous"], e.data["state"]) for e in events] == [
        ("app", "CLOSED", "OPEN")]


def test_bulkhead_bounds_concurrent_calls():
    """A semaphore bulkhead lets max_concurrent_calls through; the rest are refused at once
    (definite), or wait up to max_wait_ms for a slot (resilience4j SemaphoreBulkhead)."""
    w, c = world_with({"latency": 100, "workers": 10}, timeout_ms=1000,
                      bulkhead=Bulkhead(max_concurrent_calls=2, max_wait_ms=0))
    handles = [c.call(i) for i in range(4)]
    w.run_for(500)
    outcomes = [h.result.outcome for h in handles]
    assert outcomes == ["ok", "ok", "fail", "fail"] and "bulkhead full" in handles[2].result.error
    assert c.bulkhead.max_in_flight == 2
    w, c = world_with({"latency": 100, "workers": 10}, timeout_ms=1000,
                      bulkhead=Bulkhead(max_concurrent_calls=2, max_wait_ms=150))
    handles = [c.call(i) for i in range(5)]
    w.run_for(1000)
    assert [h.result.outcome for h in handles] == ["ok"] * 4 + ["fail"]


def test_slow_dependency_piles_up_requests():
    """A slow dependency with few workers queues requests (so its callers wait)."""
    w, c = world_with({"latency": 1000, "workers": 2}, timeout_ms=5000)
    for i in range(6):
        c.call(i)
    w.run_for(10)
    assert w.network.endpoints["db"].metrics()["queue_length"] == 4


def test_caller_crash_leaves_calls_unknown():
    """A caller that crashes completes its pending calls as info (outcome unknown)."""
    w, c = world_with({"latency": 100}, timeout_ms=1000)
    h = c.call()
    w.run_for(10)
    w.network.crash("app")
    assert h.result.outcome == "info" and "crashed" in h.result.error


def test_crashed_caller_restarts_with_a_closed_breaker():
    """A service that crashes while its breaker is HALF_OPEN with a trial in flight restarts
    with a CLOSED breaker (volatile state), instead of waiting forever for the trial."""
    w = World(seed=7, latency=1)
    w.add_node(Dependency("db", latency=1000))
    front = Dependency("front", latency=1)
    w.add_node(front)
    cb = BreakerConfig(minimum_number_of_calls=1, sliding_window_size=1,
                       wait_duration_in_open_state_ms=100,
                       permitted_number_of_calls_in_half_open_state=1)
    to_db = ResilientCaller(front, "db", world=w, timeout_ms=2000, breaker=cb)
    to_db.call()
    w.network.endpoints["db"].make_failing(1.0)
    w.run_for(1100)                      # the first call failed: OPEN
    assert to_db.state == "OPEN"
    w.run_for(200)
    to_db.call()                         # the trial call, slow
    assert to_db.state == "HALF_OPEN" and to_db.breaker.acquire() is None
    w.crash("front")
    w.restart("front")
    assert to_db.state == "CLOSED" and to_db.breaker.acquire() is not None


def test_crashed_dependency_times_out():
    """A crashed dependency answers nothing: the call times out, outcome unknown."""
    w, c = world_with(timeout_ms=50)
    w.crash("db")
    assert c.wait(c.call()).outcome == "info"


@pytest.mark.parametrize("policy, words", [
    ({"timeout_ms": 0}, ["timeout_ms", "0"]),
    ({"retry": 3}, ["retry", "3"]),
    ({"breaker": {"failure_rate_threshold": 50}}, ["breaker", "BreakerConfig"]),
    ({"bulkhead": 5}, ["bulkhead", "5"]),
    ({"fallback": "cached"}, ["fallback", "'cached'"]),
])
def test_bad_policy_is_refused_and_nothing_is_added(policy, words):
    """A bad policy names the value; the caller is not added to the world."""
    w = World(seed=1)
    w.add_node(Dependency("db"))
    with pytest.raises(ConfigError) as err:
        add_caller(w, "app", "db", **policy)
    for word in words:
        assert word in str(err.value)
    assert "app" not in w.network.endpoints and len(w.history) == 0


def test_unknown_dependency_and_bad_dependency_values_are_named():
    """An unknown node, negative latency, p outside [0, 1] or zero workers are named."""
    w = World(seed=1)
    w.add_node(Dependency("db"))
    with pytest.raises(UnknownNameError, match="'db'"):
        add_caller(w, "app", "cache")
    for kwargs, word in (({"latency": -5}, "-5"), ({"fail_p": 1.5}, "1.5"),
                         ({"workers": 0}, "workers")):
        with pytest.raises(ConfigError, match=word):
            Dependency("x", **kwargs)
    with pytest.raises(ConfigError, match="rate_per_s"):
        open_loop(add_caller(w, "app", "db"), rate_per_s=-1, duration_ms=100)
    with pytest.raises(ConfigError, match="max_concurrent_calls"):
        Bulkhead(max_concurrent_calls=0)
    with pytest.raises(ConfigError, match="max_wait_ms"):
        Bulkhead(max_wait_ms=-1)


SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from caplab.resilience.scenarios import cascade
from caplab.resilience import Dependency, add_caller, open_loop, Retry, Backoff, BreakerConfig
from caplab.world import World
w = World(seed=11)
w.add_node(Dependency("db", latency=("exponential", 0.1), fail_p=0.3, workers=2))
c = add_caller(w, "app", "db", timeout_ms=40, retry=Retry(3, Backoff("decorrelated", base_ms=5,
               cap_ms=100)), breaker=BreakerConfig(minimum_number_of_calls=5,
               sliding_window_size=10, wait_duration_in_open_state_ms=200))
open_loop(c, rate_per_s=200, duration_ms=2000)
w.run(until=3000)
print(w.history.text())
print(c.breaker.transition_records())
"""


def test_same_seed_same_history_text():
    """Determinism: the same seed gives the same history text in fresh processes."""
    outs = {subprocess.run([sys.executable, "-c", SCRIPT, SRC], capture_output=True, text=True,
                           check=True).stdout for _ in range(3)}
    assert len(outs) == 1
    text = outs.pop()
    assert "info" in text and " ok " in text and "OPEN" in text
