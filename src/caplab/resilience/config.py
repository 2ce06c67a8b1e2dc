"""Circuit-breaker configuration, as resilience4j's ``CircuitBreakerConfig``, with its defaults
and a Hystrix preset.

resilience4j (CircuitBreakerConfig documentation): ``failureRateThreshold`` 50 (%; a rate
*equal to or greater than* it opens; must be in (0, 100]), ``slidingWindowType`` COUNT_BASED,
``slidingWindowSize`` 100, ``minimumNumberOfCalls`` 100 (below it no rate is computed, so no
transition), ``waitDurationInOpenState`` 60 s, ``permittedNumberOfCallsInHalfOpenState`` 10,
``slowCallDurationThreshold`` 60 s, ``slowCallRateThreshold`` 100 %,
``automaticTransitionFromOpenToHalfOpenEnabled`` false. A TIME_BASED window's size is in
seconds: here ``sliding_window_size`` buckets of ``bucket_ms`` (1000, so seconds, by default;
lab scenarios may shrink it).

Hystrix (HystrixCommandProperties): ``circuitBreaker.requestVolumeThreshold`` 20 requests in
``metrics.rollingStats.timeInMilliseconds`` 10 s (10 buckets of 1 s: the oldest bucket leaves
the window whole), ``errorThresholdPercentage`` 50, ``sleepWindowInMilliseconds`` 5 s, then a
single trial request ("Hystrix permits only 1 test calls, Resilience4j allows multiple",
resilience4j issue 903); a 1 s ``execution.isolation.thread.timeoutInMilliseconds`` that counts
as an error. Not modelled: Hystrix reads its rolling counts from a health snapshot refreshed
every 500 ms (``metrics.healthSnapshot.intervalInMilliseconds``), so it may trip up to half a
second later than this model does.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from ..errors import ConfigError, UnknownNameError, check_flag

__all__ = ["BreakerConfig", "WINDOW_TYPES", "HYSTRIX_TIMEOUT_MS"]

WINDOW_TYPES = ("COUNT_BASED", "TIME_BASED")
#: Hystrix's default execution timeout (execution.isolation.thread.timeoutInMilliseconds)
HYSTRIX_TIMEOUT_MS = 1000


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    return value


def _whole(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return value


def _rate(name: str, value) -> float:
    v = _number(name, value)
    if not 0 < v <= 100:
        raise ConfigError(f"{name} must be a percentage in (0, 100], got {value!r}")
    return v


@dataclass(frozen=True)
class BreakerConfig:
    """resilience4j's ``CircuitBreakerConfig`` in snake case, times in simulated ms.

    Args:
        failure_rate_threshold: % of failed calls (of those recorded) that opens; (0, 100].
        sliding_window_type: ``"COUNT_BASED"`` (last N calls) or ``"TIME_BASED"`` (last N
            buckets of ``bucket_ms``).
        sliding_window_size: N, >= 1.
        minimum_number_of_calls: calls recorded before a rate is computed, >= 1 (for a count
            window, capped at its size, as resilience4j does).
        wait_duration_in_open_state_ms: how long OPEN lasts before HALF_OPEN, >= 0.
        permitted_number_of_calls_in_half_open_state: trial calls in HALF_OPEN, >= 1.
        slow_call_duration_threshold_ms: a call longer than this is slow, > 0.
        slow_call_rate_threshold: % of slow calls that opens; (0, 100].
        automatic_transition_from_open_to_half_open_enabled: a timer moves OPEN to HALF_OPEN;
            otherwise the first call after the wait does.
        bucket_ms: one TIME_BASED bucket (1000: resilience4j's seconds, Hystrix's buckets).
        half_open_any_failure_opens: re-open on the first failed trial call (Hystrix, the
            Azure pattern) instead of resilience4j's rate over all trial calls.
        name: a label for views (``"resilience4j"``, ``"hystrix"``, ``"custom"``).

    Raises:
        ConfigError / UnknownNameError: a bad value, named with what is allowed.

    Example:
        >>> BreakerConfig().failure_rate_threshold, BreakerConfig.hystrix().minimum_number_of_calls
        (50.0, 20)
    """

    failure_rate_threshold: float = 50.0
    sliding_window_type: str = "COUNT_BASED"
    sliding_window_size: int = 100
    minimum_number_of_calls: int = 100
    wait_duration_in_open_state_ms: int = 60_000
    permitted_number_of_calls_in_half_open_state: int = 10
    slow_call_duration_threshold_ms: int = 60_000
    slow_call_rate_threshold: float = 100.0
    automatic_transition_from_open_to_half_open_enabled: bool = False
    bucket_ms: int = 1000
    half_open_any_failure_opens: bool = False
    name: str = "resilience4j"

    def __post_init__(self) -> None:
        _rate("failure_rate_threshold", self.failure_rate_threshold)
        _rate("slow_call_rate_threshold", self.slow_call_rate_threshold)
        if self.sliding_window_type not in WINDOW_TYPES:
            raise UnknownNameError("sliding window type", self.sliding_window_type,
                                   WINDOW_TYPES)
        _whole("sliding_window_size", self.sliding_window_size, 1)
        _whole("minimum_number_of_calls", self.minimum_number_of_calls, 1)
        _whole("wait_duration_in_open_state_ms", self.wait_duration_in_open_state_ms, 0)
        _whole("permitted_number_of_calls_in_half_open_state",
               self.permitted_number_of_calls_in_half_open_state, 1)
        _whole("slow_call_duration_threshold_ms", self.slow_call_duration_threshold_ms, 1)
        _whole("bucket_ms", self.bucket_ms, 1)
        for flag in ("automatic_transition_from_open_to_half_open_enabled",
                     "half_open_any_failure_opens"):
            check_flag(flag, getattr(self, flag))

    @property
    def effective_minimum_calls(self) -> int:
        """``minimum_number_of_calls``, capped at a count window's size (resilience4j)."""
        if self.sliding_window_type == "COUNT_BASED":
            return min(self.minimum_number_of_calls, self.sliding_window_size)
        return self.minimum_number_of_calls

    def with_(self, **changes) -> "BreakerConfig":
        """A copy with ``changes`` (checked; unknown names refused).

        Example:
            >>> BreakerConfig.hystrix().with_(wait_duration_in_open_state_ms=500).name
            'hystrix'
        """
        known = [f.name for f in fields(self)]
        for key in sorted(changes):
            if key not in known:
                raise UnknownNameError("breaker option", key, known)
        return replace(self, **changes)

    @classmethod
    def resilience4j(cls, **changes) -> "BreakerConfig":
        """resilience4j's defaults (optionally changed)."""
        return cls().with_(**changes)

    @classmethod
    def hystrix(cls, **changes) -> "BreakerConfig":
        """Hystrix's defaults: 20 requests in a 10 s rolling window (10 buckets of 1 s), 50 %
        errors, 5 s sleep, one trial request; no slow-call rule (its timeout is a failure)."""
        return cls(failure_rate_threshold=50.0, sliding_window_type="TIME_BASED",
                   sliding_window_size=10, minimum_number_of_calls=20,
                   wait_duration_in_open_state_ms=5000,
                   permitted_number_of_calls_in_half_open_state=1,
                   slow_call_duration_threshold_ms=10 ** 12, slow_call_rate_threshold=100.0,
                   automatic_transition_from_open_to_half_open_enabled=False, bucket_ms=1000,
                   half_open_any_failure_opens=True, name="hystrix").with_(**changes)

    def options(self) -> dict:
        """The settings as a plain dict (for a history's options column and for views)."""
        return asdict(self)
