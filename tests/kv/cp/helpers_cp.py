"""Shared helpers of the CP-mode tests: seeded clusters; the waits and trace facts come from
:mod:`caplab.kv.probes` (one copy for course, labs and tests)."""

from __future__ import annotations

from caplab.kv import Cluster
from caplab.kv.probes import members_in_role, primaries_by_term, primary_intervals, wait_for_primary

__all__ = ["cluster", "wait_primary", "secondaries", "primaries_by_term", "primary_intervals"]


def cluster(nodes=3, seed=1, **options) -> Cluster:
    """A seeded replica set that has elected its first primary."""
    c = Cluster(mode="cp", nodes=nodes, seed=seed, **options)
    assert wait_primary(c), "no primary elected at start"
    return c


def wait_primary(c, timeout_ms: int = 5000, exclude=(), writable: bool = True) -> str | None:
    """Run until some member (not in ``exclude``) is primary, by default a writable one (done
    with its catch-up phase); return it."""
    return wait_for_primary(c, timeout_ms=timeout_ms, exclude=exclude, writable=writable)


def secondaries(c) -> list[str]:
    return members_in_role(c, "secondary")
