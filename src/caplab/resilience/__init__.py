"""Failing fast: timeouts, retries with exponential backoff and jitter, circuit breakers,
bulkheads and fallbacks, in a client-side call pipeline that works with any request/reply
endpoint on the world.

- :mod:`.backoff`: ``Backoff`` (none, full, equal, decorrelated jitter) and ``Retry``;
- :mod:`.config`, :mod:`.breaker`: ``BreakerConfig`` (resilience4j's defaults, a Hystrix
  preset) and ``CircuitBreaker``;
- :mod:`.bulkhead`: ``Bulkhead`` (semaphore, bounded wait);
- :mod:`.pipeline`: ``ResilientCaller`` (retry around breaker, bulkhead and timeout);
- :mod:`.dependency`: ``Dependency``, a small service with workers and faults;
- :mod:`.load`: ``add_caller`` and ``open_loop``;
- :mod:`.monitor`: a dashboard's time series (rates, errors, p50/p99, breaker state) as rows;
- :mod:`.contention`, :mod:`.scenarios`: the AWS backoff simulation, cascading failure and
  retry storms, as plain facts;
- :mod:`.flapping`: a dependency that flaps on a seeded schedule and a failover, measured
  against an objective (lab 11).
"""

from .backoff import JITTERS, Backoff, Retry
from .breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, Transition
from .bulkhead import Bulkhead
from .config import WINDOW_TYPES, BreakerConfig
from .dependency import Dependency
from .load import CallerClient, add_caller, open_loop
from .monitor import breaker_series, call_series
from .pipeline import CallResult, ResilientCaller
from .rpc import Call, CallReply, RpcEndpoint

__all__ = ["Backoff", "Retry", "JITTERS", "BreakerConfig", "WINDOW_TYPES", "CircuitBreaker",
           "Transition", "CLOSED", "OPEN", "HALF_OPEN", "Bulkhead", "ResilientCaller",
           "CallResult", "Dependency", "CallerClient", "add_caller", "open_loop", "Call",
           "CallReply", "RpcEndpoint", "call_series", "breaker_series"]
