"""The circuit breaker: Hystrix's numbers, resilience4j's rules, bad input, and a property
under random failure schedules."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caplab.errors import ConfigError, UnknownNameError
from caplab.resilience import (CLOSED, HALF_OPEN, OPEN, Backoff, BreakerConfig, Bulkhead,
                               CircuitBreaker, Dependency, ResilientCaller, Retry, RpcEndpoint,
                               open_loop)
from caplab.sim import Simulation
from caplab.world import World


def breaker(config):
    return CircuitBreaker(config, sim=Simulation(1), name="dep")


def calls(cb, outcomes, *, duration_ms=5):
    """Make one call per outcome (True = failed); returns how many were permitted."""
    permitted = 0
    for failed in outcomes:
        permit = cb.acquire()
        if permit is not None:
            permitted += 1
            cb.on_result(permit, duration_ms=duration_ms, failed=failed)
    return permitted


def at(cb, time_ms):
    cb.sim.run(until=time_ms)


# -- Hystrix ------------------------------------------------------------------------------
def test_hystrix_19_requests_cannot_trip():
    """Hystrix (circuitBreaker.requestVolumeThreshold 20): 19 failed requests in the 10 s
    window cannot trip the breaker (SEMANTICS.md, "Hystrix")."""
    cb = breaker(BreakerConfig.hystrix())
    calls(cb, [True] * 19)
    assert cb.state == CLOSED and cb.transitions == []


def test_hystrix_20_requests_at_half_errors_trip():
    """Hystrix: 20 requests in the window with >= 50 % errors (errorThresholdPercentage 50)
    open the breaker; 20 with 45 % do not."""
    cb = breaker(BreakerConfig.hystrix())
    calls(cb, [False] * 11 + [True] * 9)
    assert cb.state == CLOSED
    cb = breaker(BreakerConfig.hystrix())
    calls(cb, [False, True] * 10)
    assert cb.state == OPEN
    assert cb.transitions[-1].failure_rate == 50.0 and cb.transitions[-1].calls == 20


def test_hystrix_rolling_window_forgets_old_buckets():
    """Hystrix's 10 s rolling window of 1 s buckets: errors older than the window no longer
    count, so 10 old and 10 new errors do not make 20."""
    cb = breaker(BreakerConfig.hystrix())
    calls(cb, [True] * 10)
    at(cb, 10_500)          # the bucket [0, 1000) has left the window
    calls(cb, [True] * 10)
    assert cb.state == CLOSED
    at(cb, 11_000)
    calls(cb, [True] * 10)
    assert cb.state == OPEN


def test_hystrix_one_probe_after_5_s():
    """Hystrix: after sleepWindowInMilliseconds (5 s) a single trial request passes; others
    are refused until it answers; its failure re-opens for another 5 s, its success closes."""
    cb = breaker(BreakerConfig.hystrix())
    calls(cb, [True] * 20)
    assert cb.acquire() is None
    at(cb, 4999)
    assert cb.acquire() is None
    at(cb, 5000)
    probe = cb.acquire()
    assert probe is not None and cb.state == HALF_OPEN
    assert cb.acquire() is None                       # one probe only
    cb.on_result(probe, duration_ms=5, failed=True)
    assert cb.state == OPEN and cb.opened_ms == 5000
    at(cb, 9999)
    assert cb.acquire() is None
    at(cb, 10_000)
    probe = cb.acquire()
    cb.on_result(probe, duration_ms=5, failed=False)
    assert cb.state == CLOSED
    assert [t.to_state for t in cb.transitions] == [OPEN, HALF_OPEN, OPEN, HALF_OPEN, CLOSED]


# -- resilience4j -------------------------------------------------------------------------
def test_resilience4j_defaults():
    """resilience4j CircuitBreakerConfig defaults (SEMANTICS.md): 50 %, COUNT_BASED 100, 100
    minimum calls, 60 s open, 10 half-open calls, slow 60 s at 100 %, no automatic transition."""
    c = BreakerConfig()
    assert (c.failure_rate_threshold, c.sliding_window_type, c.sliding_window_size,
            c.minimum_number_of_calls, c.wait_duration_in_open_state_ms,
            c.permitted_number_of_calls_in_half_open_state, c.slow_call_duration_threshold_ms,
            c.slow_call_rate_threshold,
            c.automatic_transition_from_open_to_half_open_enabled) == (
        50.0, "COUNT_BASED", 100, 100, 60_000, 10, 60_000, 100.0, False)


def test_below_minimum_number_of_calls_no_transition():
    """resilience4j: "If only 9 calls have been recorded the CircuitBreaker will not
    transition to open even if all 9 calls have failed" (minimumNumberOfCalls 10)."""
    cb = breaker(BreakerConfig(minimum_number_of_calls=10, sliding_window_size=10))
    calls(cb, [True] * 9)
    assert cb.state == CLOSED and cb.metrics()["failure_rate"] == -1.0
    calls(cb, [True])
    assert cb.state == OPEN


def test_failure_rate_at_threshold_opens():
    """resilience4j: "If the failure rate is equal or greater than the threshold the
    CircuitBreaker transitions to open"; just below it stays closed."""
    cfg = BreakerConfig(failure_rate_threshold=40, minimum_number_of_calls=10,
                        sliding_window_size=10)
    cb = breaker(cfg)
    calls(cb, [True] * 3 + [False] * 7)
    assert cb.state == CLOSED
    cb = breaker(cfg)
    calls(cb, [True] * 4 + [False] * 6)
    assert cb.state == OPEN and "40% >= 40%" in cb.transitions[0].why


def test_count_window_keeps_only_the_last_calls():
    """resilience4j COUNT_BASED: only the last slidingWindowSize calls are aggregated."""
    cb = breaker(BreakerConfig(minimum_number_of_calls=4, sliding_window_size=4))
    calls(cb, [True, False, False, False, False])
    assert cb.metrics()["failed_calls"] == 0 and cb.state == CLOSED


def test_a_count_window_caps_the_minimum_number_of_calls_at_its_size():
    """resilience4j CircuitBreakerMetrics: for a COUNT_BASED window the minimum number of calls
    is min(minimumNumberOfCalls, slidingWindowSize), so the defaults' 100 with a window of 5
    judge after 5 calls; a TIME_BASED window keeps its minimum uncapped."""
    cb = breaker(BreakerConfig(sliding_window_size=5))          # minimum 100, capped at 5
    calls(cb, [True] * 4)
    assert cb.state == CLOSED
    calls(cb, [True])
    assert cb.state == OPEN
    timed = breaker(BreakerConfig(sliding_window_type="TIME_BASED", sliding_window_size=5,
                                  minimum_number_of_calls=8))
    calls(timed, [True] * 7)
    assert timed.state == CLOSED and timed.config.effective_minimum_calls == 8
    calls(timed, [True])
    assert timed.state == OPEN


def test_half_open_judges_the_trial_calls_by_the_failure_rate_threshold():
    """resilience4j HALF_OPEN: once the permitted trial calls have all answered, a failure rate
    equal to or above the threshold re-opens, below it closes (here 10 trials, 4 failed: 40% <
    50% closes; 5 failed: 50% re-opens)."""
    cfg = BreakerConfig(minimum_number_of_calls=10, sliding_window_size=10,
                        wait_duration_in_open_state_ms=1000)
    for failures, end in ((4, CLOSED), (5, OPEN)):
        cb = _open_then_half_open(cfg)
        calls(cb, [True] * failures + [False] * (10 - failures - 1))
        assert cb.state == HALF_OPEN                           # one trial still to answer
        calls(cb, [False])
        assert cb.state == end


def test_bulkhead_defaults_are_resilience4j_s():
    """resilience4j BulkheadConfig defaults: maxConcurrentCalls 25, maxWaitDuration 0."""
    b = Bulkhead()
    assert (b.max_concurrent_calls, b.max_wait_ms) == (25, 0)


def _open_then_half_open(cfg):
    cb = breaker(cfg)
    calls(cb, [True] * cfg.sliding_window_size)
    assert cb.state == OPEN
    at(cb, cfg.wait_duration_in_open_state_ms)
    return cb


def test_half_open_permits_n_calls_and_success_closes():
    """resilience4j: HALF_OPEN permits permittedNumberOfCallsInHalfOpenState calls; when they
    succeed the breaker closes with an empty window."""
    cfg = BreakerConfig(minimum_number_of_calls=4, sliding_window_size=4,
                        wait_duration_in_open_state_ms=1000,
                        permitted_number_of_calls_in_half_open_state=3)
    cb = _open_then_half_open(cfg)
    permits = [cb.acquire() for _ in range(4)]
    assert permits[3] is None and None not in permits[:3] and cb.state == HALF_OPEN
    for p in permits[:3]:
        cb.on_result(p, duration_ms=5, failed=False)
    assert cb.state == CLOSED and cb.metrics()["buffered_calls"] == 0


def test_half_open_failure_reopens_with_a_fresh_wait():
    """resilience4j: trial calls failing at the threshold re-open the breaker, and the wait
    starts again (Azure: "the timer restarts"); with half_open_any_failure_opens the first
    failed trial does it."""
    cfg = BreakerConfig(minimum_number_of_calls=4, sliding_window_size=4,
                        wait_duration_in_open_state_ms=1000,
                        permitted_number_of_calls_in_half_open_state=2)
    cb = _open_then_half_open(cfg)
    a, b = cb.acquire(), cb.acquire()
    cb.on_result(a, duration_ms=5, failed=False)
    assert cb.state == HALF_OPEN
    cb.on_result(b, duration_ms=5, failed=True)       # 1 of 2 = 50 % >= 50 %
    assert cb.state == OPEN and cb.opened_ms == 1000
    at(cb, 1999)
    assert cb.acquire() is None
    cb = _open_then_half_open(cfg.with_(half_open_any_failure_opens=True))
    a, b = cb.acquire(), cb.acquire()
    cb.on_result(a, duration_ms=5, failed=True)
    assert cb.state == OPEN


def test_slow_calls_count():
    """resilience4j: calls slower than slowCallDurationThreshold open the breaker once their
    rate reaches slowCallRateThreshold, even when none failed."""
    cb = breaker(BreakerConfig(minimum_number_of_calls=4, sliding_window_size=4,
                               slow_call_duration_threshold_ms=100,
                               slow_call_rate_threshold=75))
    calls(cb, [False] * 2, duration_ms=150)
    calls(cb, [False], duration_ms=10)
    calls(cb, [False], duration_ms=150)
    assert cb.state == OPEN and "slow-call rate 75%" in cb.transitions[0].why


def test_a_call_exactly_at_the_slow_call_threshold_is_not_slow():
    """resilience4j CircuitBreakerMetrics: a call is slow when its duration is *greater than*
    slowCallDurationThreshold ("the duration threshold above which calls are considered as
    slow"), so calls of exactly the threshold never open the breaker; one ms more does."""
    cfg = BreakerConfig(minimum_number_of_calls=4, sliding_window_size=4,
                        slow_call_duration_threshold_ms=100, slow_call_rate_threshold=50)
    cb = breaker(cfg)
    calls(cb, [False] * 4, duration_ms=100)
    assert cb.state == CLOSED and cb.metrics()["slow_call_rate"] == 0
    cb = breaker(cfg)
    calls(cb, [False] * 4, duration_ms=101)
    assert cb.state == OPEN


def test_automatic_transition_to_half_open():
    """resilience4j automaticTransitionFromOpenToHalfOpenEnabled: a timer moves OPEN to
    HALF_OPEN after the wait, without a call; off, the state stays OPEN until a call."""
    cfg = BreakerConfig(minimum_number_of_calls=2, sliding_window_size=2,
                        wait_duration_in_open_state_ms=500,
                        automatic_transition_from_open_to_half_open_enabled=True)
    cb = breaker(cfg)
    calls(cb, [True, True])
    at(cb, 500)
    assert cb.state == HALF_OPEN
    cb = breaker(cfg.with_(automatic_transition_from_open_to_half_open_enabled=False))
    calls(cb, [True, True])
    at(cb, 900)
    assert cb.state == OPEN


def test_late_result_from_an_earlier_state_does_not_decide():
    """A call permitted while CLOSED that answers in HALF_OPEN does not count as a trial."""
    cb = breaker(BreakerConfig(minimum_number_of_calls=2, sliding_window_size=2,
                               wait_duration_in_open_state_ms=100,
                               permitted_number_of_calls_in_half_open_state=1))
    late = cb.acquire()
    calls(cb, [True, True])
    at(cb, 100)
    trial = cb.acquire()
    cb.on_result(late, duration_ms=100, failed=True)
    assert cb.state == HALF_OPEN
    cb.on_result(trial, duration_ms=5, failed=False)
    assert cb.state == CLOSED


# -- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize("changes, words", [
    ({"failure_rate_threshold": 0}, ["failure_rate_threshold", "(0, 100]", "0"]),
    ({"failure_rate_threshold": 100.5}, ["failure_rate_threshold", "100.5"]),
    ({"slow_call_rate_threshold": -1}, ["slow_call_rate_threshold", "-1"]),
    ({"sliding_window_size": 0}, ["sliding_window_size", ">= 1", "0"]),
    ({"wait_duration_in_open_state_ms": -5}, ["wait_duration_in_open_state_ms", "-5"]),
    ({"permitted_number_of_calls_in_half_open_state": 0}, ["permitted_number", "0"]),
    ({"minimum_number_of_calls": 0}, ["minimum_number_of_calls"]),
])
def test_bad_config_is_refused_with_the_value(changes, words):
    """Bad breaker settings raise ConfigError naming the value and what is allowed; the
    config they were derived from is unchanged."""
    base = BreakerConfig.hystrix()
    with pytest.raises(ConfigError) as err:
        base.with_(**changes)
    for w in words:
        assert w in str(err.value)
    assert base == BreakerConfig.hystrix()


def test_unknown_window_type_and_option_are_named():
    """An unknown sliding window type or option names the allowed ones."""
    with pytest.raises(UnknownNameError, match="'COUNT_BASED', 'TIME_BASED'"):
        BreakerConfig(sliding_window_type="SESSION")
    with pytest.raises(UnknownNameError, match="failure_rate_threshold"):
        BreakerConfig().with_(failureRateThreshold=10)


# -- property -----------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(config=st.fixed_dictionaries({
           "window": st.sampled_from(["COUNT_BASED", "TIME_BASED"]),
           "size": st.integers(1, 8), "minimum": st.integers(1, 8),
           "permitted": st.integers(1, 4), "wait": st.integers(0, 300),
           "auto": st.booleans(), "any_failure": st.booleans()}),
       schedule=st.lists(st.tuples(st.integers(0, 120), st.booleans(), st.integers(1, 200)),
                         min_size=1, max_size=120))
def test_breaker_never_lets_too_many_through(config, schedule):
    """Under random failure schedules, never more than the permitted calls are in flight or
    started in one HALF_OPEN period, and no call starts while OPEN."""
    cfg = BreakerConfig(sliding_window_type=config["window"],
                        sliding_window_size=config["size"],
                        minimum_number_of_calls=config["minimum"],
                        permitted_number_of_calls_in_half_open_state=config["permitted"],
                        wait_duration_in_open_state_ms=config["wait"], bucket_ms=50,
                        automatic_transition_from_open_to_half_open_enabled=config["auto"],
                        half_open_any_failure_opens=config["any_failure"])
    sim = Simulation(3)
    cb = CircuitBreaker(cfg, sim=sim)
    started_in_period = {}
    for gap, failed, duration in schedule:
        sim.run(until=sim.now + gap)
        state_before = cb.state
        opened = cb.opened_ms
        permit = cb.acquire()
        if permit is None:
            continue
        # a call is permitted only when CLOSED, or HALF_OPEN (possibly just reached)
        assert cb.state in (CLOSED, HALF_OPEN)
        if state_before == OPEN:
            assert sim.now - opened >= cfg.wait_duration_in_open_state_ms
        if cb.state == HALF_OPEN:
            started_in_period[cb.generation] = started_in_period.get(cb.generation, 0) + 1
            permitted = cfg.permitted_number_of_calls_in_half_open_state
            assert started_in_period[cb.generation] <= permitted
        sim.schedule(duration, _report, cb, permit, duration, failed)
    sim.run(until=sim.now + 1000)


def _report(cb, permit, duration, failed):
    cb.on_result(permit, duration_ms=duration, failed=failed)


class _Watched(RpcEndpoint):
    """A caller endpoint that notes the breaker's state each time a call is sent."""

    is_client = True

    def __init__(self, name):
        super().__init__(name)
        self.sent = []            # (time, state, generation)

    def rpc(self, dst, payload, on_reply):
        cb = self.callers[0].breaker
        self.sent.append((self.now, cb.state, cb.generation))
        return super().rpc(dst, payload, on_reply)


@settings(max_examples=30, deadline=None)
@given(permitted=st.integers(1, 4), wait=st.integers(10, 400),
       faults=st.lists(st.tuples(st.integers(0, 3000), st.sampled_from(
           ["fail", "heal", "slow", "fast", "crash", "restart"])), max_size=12))
def test_pipeline_never_calls_while_open(permitted, wait, faults):
    """Through the pipeline, under random failure schedules of the dependency: no call is sent
    while the breaker is OPEN, and each HALF_OPEN period sends at most the permitted calls."""
    w = World(seed=5, latency=1)
    dep = Dependency("db", latency=5, workers=2)
    w.add_node(dep)
    owner = _Watched("app")
    caller = ResilientCaller(owner, "db", world=w, timeout_ms=60,
                             retry=Retry(2, Backoff("full", base_ms=5, cap_ms=50)),
                             breaker=BreakerConfig(minimum_number_of_calls=4,
                                                   sliding_window_size=6,
                                                   wait_duration_in_open_state_ms=wait,
                                                   permitted_number_of_calls_in_half_open_state=(
                                                       permitted)))
    w.add_client(owner, near="db")
    actions = {"fail": lambda: dep.make_failing(1.0), "heal": lambda: dep.make_failing(0.0),
               "slow": lambda: dep.make_slow(200), "fast": lambda: dep.make_slow(5),
               "crash": lambda: dep.up and w.crash("db"),
               "restart": lambda: (not dep.up) and w.restart("db")}
    for at_ms, action in faults:
        w.sim.schedule(at_ms, actions[action])
    open_loop(caller, rate_per_s=200, duration_ms=3000)
    w.run(until=3500)
    assert all(state != OPEN for _, state, _ in owner.sent)
    per_period = {}
    for _, state, generation in owner.sent:
        if state == HALF_OPEN:
            per_period[generation] = per_period.get(generation, 0) + 1
    assert all(n <= permitted for n in per_period.values())
