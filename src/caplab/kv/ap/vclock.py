"""Vector clocks (Dynamo, DeCandia et al. 2007, section 4.4): one counter per coordinator, so
versions written concurrently on two sides of a partition are kept as siblings, not overwritten.

A clock is an immutable, sorted tuple of ``(node, counter)`` pairs; the empty tuple ``()`` is the
clock of data that predates every write (imported data), which every clock descends from.

Example (the paper's, exactly):
    >>> d3 = (("Sx", 2), ("Sy", 1)); d4 = (("Sx", 2), ("Sz", 1))
    >>> compare(d3, d4)
    'concurrent'
    >>> show(increment(merge(d3, d4), "Sx"))
    '[(Sx,3),(Sy,1),(Sz,1)]'
"""

from __future__ import annotations

from ...errors import ConfigError

__all__ = ["VClock", "increment", "merge", "compare", "descends", "show", "check_clock"]

VClock = tuple  # tuple[tuple[str, int], ...], sorted by node name


def _as_dict(clock) -> dict:
    return dict(clock)


def increment(clock: VClock, node: str, *, at_least: int = 0) -> VClock:
    """``clock`` with ``node``'s counter raised by one (to at least ``at_least + 1``).

    Dynamo: "the coordinator generates the vector clock for the new version" by incrementing
    its own counter in the context the client read.
    """
    counters = _as_dict(clock)
    counters[node] = max(counters.get(node, 0), at_least) + 1
    return tuple(sorted(counters.items()))


def merge(*clocks: VClock) -> VClock:
    """The pointwise maximum: a clock that descends from every clock given."""
    counters: dict = {}
    for clock in clocks:
        for node, counter in clock:
            if counter > counters.get(node, 0):
                counters[node] = counter
    return tuple(sorted(counters.items()))


def descends(a: VClock, b: VClock) -> bool:
    """True when ``a`` has seen everything ``b`` has (``a >= b`` pointwise)."""
    counters = _as_dict(a)
    return all(counters.get(node, 0) >= counter for node, counter in b)


def compare(a: VClock, b: VClock) -> str:
    """``"equal"``, ``"after"`` (a descends b), ``"before"`` or ``"concurrent"``."""
    ab, ba = descends(a, b), descends(b, a)
    if ab and ba:
        return "equal"
    if ab:
        return "after"
    if ba:
        return "before"
    return "concurrent"


def show(clock: VClock) -> str:
    """The paper's notation: ``[(Sx,2),(Sy,1)]``."""
    return "[" + ",".join(f"({node},{counter})" for node, counter in clock) + "]"


def check_clock(clock) -> VClock:
    """Validate a client-supplied context; return it normalised (sorted tuple of pairs).

    Raises:
        ConfigError: not a sequence of (node name, counter >= 1) pairs.
    """
    try:
        pairs = [(node, counter) for node, counter in (clock.items() if isinstance(clock, dict)
                                                        else clock)]
    except (TypeError, ValueError):
        raise ConfigError(f"context must be a vector clock such as (('n1', 2), ('n2', 1)), "
                          f"got {clock!r}") from None
    for node, counter in pairs:
        if not isinstance(node, str) or isinstance(counter, bool) or not isinstance(counter, int) \
                or counter < 1:
            raise ConfigError(f"context entry ({node!r}, {counter!r}) must be (node name, "
                              f"counter >= 1)")
    return merge(tuple(sorted(pairs)))
