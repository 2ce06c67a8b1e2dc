"""Shared helpers of the CP-mode tests: seeded clusters and small waits."""

from __future__ import annotations

from caplab.kv import Cluster


def cluster(nodes=3, seed=1, **options) -> Cluster:
    """A seeded replica set that has elected its first primary."""
    c = Cluster(mode="cp", nodes=nodes, seed=seed, **options)
    assert wait_primary(c), "no primary elected at start"
    return c


def wait_primary(c, timeout_ms: int = 5000, exclude=(), writable: bool = True) -> str | None:
    """Run until some member (not in ``exclude``) is primary, by default a writable one (done
    with its catch-up phase); return it."""
    def found():
        p = c.writable_primary if writable else c.primary
        return p is not None and p not in exclude
    c.sim.run_until(found, timeout_ms=timeout_ms)
    p = c.primary
    return p if p not in exclude else None


def secondaries(c) -> list[str]:
    return [n for n, r in c.roles().items() if r == "secondary"]


def primaries_by_term(c) -> dict[int, set[str]]:
    """term -> members that became primary in it, from the trace's ``role`` events."""
    out: dict[int, set[str]] = {}
    for e in c.sim.trace.of_kind("role"):
        if e.detail.startswith("primary term="):
            out.setdefault(int(e.detail.split("=")[1]), set()).add(e.node)
    return out


def primary_intervals(c) -> dict[str, list[tuple[int, int]]]:
    """node -> [(became_primary_ms, stopped_ms)] from the trace (open intervals end at now)."""
    out: dict[str, list[list[int]]] = {}
    open_: dict[str, int] = {}
    for e in c.sim.trace:
        if e.kind == "role":
            if e.detail.startswith("primary"):
                open_[e.node] = e.time_ms
            elif e.node in open_:
                out.setdefault(e.node, []).append((open_.pop(e.node), e.time_ms))
        elif e.kind == "crash" and e.node in open_:
            out.setdefault(e.node, []).append((open_.pop(e.node), e.time_ms))
    for node, start in open_.items():
        out.setdefault(node, []).append((start, c.now))
    return out
