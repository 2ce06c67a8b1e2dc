"""One exception tree for caplab.

Every error caplab raises on purpose derives from :class:`CaplabError`, so a notebook can catch
them all at once, and each also derives from the built-in exception a Python programmer would
expect (``ValueError`` for a bad value, ``KeyError``-like lookups raise ``UnknownNameError`` which
is a ``ValueError`` too, so ``str(e)`` stays readable)::

    CaplabError
     ├── ConfigError (ValueError)          a bad option or argument; nothing was changed
     │    └── UnknownNameError             a node, client, mode, level ... that does not exist
     ├── SimulationError (RuntimeError)    the simulation cannot go on as asked
     │                                     (e.g. run_until_idle with timers that never stop)
     └── HistoryError (ValueError)         a malformed history given to a checker

Messages say what was given, what is allowed and, where it helps, what to try:
``write quorum W=4 exceeds replication factor N=3; choose 1 <= W <= N``.
"""

from __future__ import annotations

__all__ = ["CaplabError", "ConfigError", "UnknownNameError", "SimulationError", "HistoryError",
           "check_flag", "check_probability", "check_non_negative_int"]


class CaplabError(Exception):
    """Base of every error caplab raises on purpose."""


class ConfigError(CaplabError, ValueError):
    """A bad option or argument. Raised before anything changes, so the simulation is intact."""


class UnknownNameError(ConfigError):
    """A name (node, client, mode, consistency level, ...) that is not one of the allowed ones."""

    def __init__(self, what: str, given: object, allowed) -> None:
        allowed = list(allowed)
        shown = ", ".join(repr(a) for a in allowed) if allowed else "(none)"
        super().__init__(f"unknown {what} {given!r}; allowed: {shown}")
        self.what = what
        self.given = given
        self.allowed = allowed


class SimulationError(CaplabError, RuntimeError):
    """The simulation cannot go on as asked."""


class HistoryError(CaplabError, ValueError):
    """A malformed history: the message names the row and what is wrong with it."""


def check_flag(name: str, value: object, meaning: str | None = None) -> bool:
    """Return ``value`` if it is ``True`` or ``False``, else raise :class:`ConfigError`.

    Args:
        name: the option's name, as the caller spells it.
        value: what was given (``1``, ``"yes"`` and ``None`` are refused: a flag is a bool).
        meaning: what the flag means, shown in the message (for example the real system's
            setting it imitates).

    Example:
        >>> check_flag("persistent", "yes")
        Traceback (most recent call last):
        ...
        caplab.errors.ConfigError: persistent must be True or False, got 'yes'
    """
    if not isinstance(value, bool):
        about = f" ({meaning})" if meaning else ""
        raise ConfigError(f"{name} must be True or False{about}, got {value!r}")
    return value


def check_probability(name: str, p: float) -> float:
    """Return ``p`` as a float if it lies in [0, 1], else raise :class:`ConfigError`."""
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a probability in [0, 1], got {p!r}") from None
    if not 0.0 <= value <= 1.0 or value != value:
        raise ConfigError(f"{name} must be a probability in [0, 1], got {p!r}")
    return value


def check_non_negative_int(name: str, value: object) -> int:
    """Return ``value`` if it is an integer >= 0 (bools refused), else raise :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, int):
        # Accept integral floats such as 100.0: notebooks often compute delays.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ConfigError(f"{name} must be a whole number of milliseconds >= 0, got {value!r}")
    if value < 0:
        raise ConfigError(f"{name} must be >= 0, got {value!r}")
    return value
