"""Retries with exponential backoff and jitter: none, full, equal and decorrelated.

The four formulas are those of Marc Brooker's "Exponential Backoff and Jitter" (AWS
Architecture Blog, 2015) and of its simulator (aws-samples/aws-arch-backoff-simulator), with
``n`` the retry number (1 for the first retry):

- ``none``:          ``expo(n) = min(cap, base * 2**n)`` (exponential, no jitter)
- ``full``:          ``U(0, expo(n))``
- ``equal``:         ``expo(n)/2 + U(0, expo(n)/2)``
- ``decorrelated``:  ``min(cap, U(base, 3 * previous))``, the previous sleep starting at ``base``

``base_ms=0`` with ``jitter="none"`` is the simulator's "no backoff" (retry at once). Delays are
drawn from a named random stream of the simulation, so a new consumer does not shift others.

Example:
    >>> import random
    >>> b = Backoff("full", base_ms=5, cap_ms=2000)
    >>> s = b.sequence(random.Random(1))
    >>> [s.next_delay_ms() <= 5 * 2 ** n for n in (1, 2, 3)]
    [True, True, True]
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError, UnknownNameError

__all__ = ["Backoff", "BackoffSequence", "Retry", "JITTERS"]

#: the jitter kinds of the AWS article
JITTERS = ("none", "full", "equal", "decorrelated")


def _check_ms(name: str, value, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ConfigError(f"{name} must be a number of milliseconds, got {value!r}")
    if value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise ConfigError(f"{name} must be {bound} ms, got {value!r}")
    return value


@dataclass(frozen=True)
class Backoff:
    """How long to sleep before retry ``n``: exponential, capped, with a kind of jitter.

    Args:
        jitter: one of :data:`JITTERS`.
        base_ms: the first step (``expo(n) = base * 2**n``); 0 means retry at once.
        cap_ms: the largest sleep.

    Raises:
        UnknownNameError: an unknown jitter kind (names the allowed ones).
        ConfigError: a negative base or cap, or a cap below the base.

    Example:
        >>> Backoff("none", base_ms=5, cap_ms=2000).expo_ms(3)
        40
    """

    jitter: str = "full"
    base_ms: float = 100
    cap_ms: float = 10_000

    def __post_init__(self) -> None:
        if self.jitter not in JITTERS:
            raise UnknownNameError("jitter kind", self.jitter, JITTERS)
        _check_ms("base_ms", self.base_ms)
        _check_ms("cap_ms", self.cap_ms)
        if self.cap_ms < self.base_ms:
            raise ConfigError(f"cap_ms={self.cap_ms!r} is below base_ms={self.base_ms!r}; "
                              f"choose cap_ms >= base_ms")

    def expo_ms(self, n: int) -> float:
        """``min(cap, base * 2**n)``: the un-jittered sleep before retry ``n``."""
        if n > 62:      # 2**n overflows any sensible cap long before this
            return self.cap_ms
        return min(self.cap_ms, self.base_ms * 2 ** n)

    def sequence(self, rng) -> "BackoffSequence":
        """The sleeps of one call's retries, drawn from ``rng`` (a ``random.Random``)."""
        return BackoffSequence(self, rng)

    def describe(self) -> str:
        return f"{self.jitter} jitter, base {self.base_ms} ms, cap {self.cap_ms} ms"


class BackoffSequence:
    """The successive sleeps of one call (decorrelated jitter remembers the previous one)."""

    __slots__ = ("backoff", "rng", "n", "previous_ms")

    def __init__(self, backoff: Backoff, rng) -> None:
        self.backoff = backoff
        self.rng = rng
        self.n = 0
        self.previous_ms = backoff.base_ms

    def next_delay_ms(self) -> int:
        """The sleep before the next retry, in whole ms (rounded to nearest)."""
        b = self.backoff
        self.n += 1
        kind = b.jitter
        if kind == "none":
            delay = b.expo_ms(self.n)
        elif kind == "full":
            delay = self.rng.uniform(0, b.expo_ms(self.n))
        elif kind == "equal":
            half = b.expo_ms(self.n) / 2
            delay = half + self.rng.uniform(0, half)
        else:   # decorrelated: AWS "sleep = min(cap, random_between(base, sleep * 3))"
            delay = min(b.cap_ms, self.rng.uniform(b.base_ms, self.previous_ms * 3))
            self.previous_ms = delay
        return int(delay + 0.5)


@dataclass(frozen=True)
class Retry:
    """A retry policy: at most ``max_attempts`` attempts (the first included), with ``backoff``.

    Args:
        max_attempts: attempts in all, >= 1 (resilience4j's ``maxAttempts``, default 3).
        backoff: the sleeps between attempts (:class:`Backoff`).

    Raises:
        ConfigError: ``max_attempts`` < 1 or not a whole number.

    Example:
        >>> Retry(max_attempts=3, backoff=Backoff("equal", base_ms=50, cap_ms=1000)).max_attempts
        3
    """

    max_attempts: int = 1
    backoff: Backoff = Backoff("full")

    def __post_init__(self) -> None:
        m = self.max_attempts
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise ConfigError(f"max_attempts must be a whole number >= 1 (1 = no retries), "
                              f"got {m!r}")
        if not isinstance(self.backoff, Backoff):
            raise ConfigError(f"backoff must be a Backoff, got {self.backoff!r}")
