"""Probes: the small questions lessons, labs and tests ask of a running cluster.

Who is primary, which members won which term, when a cut-off primary stepped down, when a hint
was replayed, which keys anti-entropy brought to a node, which key lives on given replicas. Each
probe reads the trace's data fields (``event.data["term"]``, never the detail text, which is for
people) or the cluster's state, so one rewording of a trace message breaks no lesson. Plain
Python: no pandas here (:mod:`caplab.frames` builds the tables).

Example:
    >>> from caplab.kv import Cluster
    >>> from caplab.kv import probes
    >>> c = Cluster(mode="cp", nodes=3, seed=1)
    >>> probes.wait_for_primary(c)
    'n3'
    >>> probes.primaries_by_term(c)
    {1: ['n3']}
"""

from __future__ import annotations

from typing import Callable

from ..errors import ConfigError

__all__ = ["events", "wait_for_primary", "members_in_role", "primaries_by_term",
           "primary_intervals", "step_down_ms", "hint_replayed_ms", "keys_received",
           "key_where", "holders", "wait_seen_down"]


def events(cluster, kind: str, *, node: str | None = None, since_ms: int | None = None,
           **fields) -> list:
    """The trace events of ``kind`` whose data fields equal ``fields``, oldest first.

    Args:
        cluster: a ``Cluster`` (anything with ``.sim.trace``).
        kind: the event kind (``role``, ``election``, ``hint``, ``anti_entropy``, ...).
        node: only events recorded by this node.
        since_ms: only events at or after this time.
        **fields: required values of data fields, e.g. ``action="replayed"``.

    Returns:
        A list of :class:`caplab.sim.TraceEvent`.

    Example:
        >>> [e.data["winner"] for e in events(c, "election", action="won")]  # doctest: +SKIP
        ['n3']
    """
    out = []
    for e in cluster.sim.trace.of_kind(kind):
        if node is not None and e.node != node:
            continue
        if since_ms is not None and e.time_ms < since_ms:
            continue
        data = e.data
        if all(name in data and data[name] == value for name, value in fields.items()):
            out.append(e)
    return out


def wait_for_primary(cluster, *, timeout_ms: int = 5000, exclude=(),
                     writable: bool = True) -> str | None:
    """Run the cluster until some member not in ``exclude`` is primary; return it, or None.

    Args:
        timeout_ms: give up after this much simulated time.
        exclude: members that do not count (e.g. the old primary, to wait for a new one).
        writable: wait for a primary that accepts writes (MongoDB's ``isWritablePrimary``:
            done with its catch-up phase), not only one elected.

    Returns:
        The primary's name, or None if none came within ``timeout_ms``.

    Example:
        >>> wait_for_primary(c, exclude=(old,), timeout_ms=3000)   # doctest: +SKIP
        'n2'
    """
    def found() -> bool:
        p = cluster.writable_primary if writable else cluster.primary
        return p is not None and p not in exclude
    cluster.sim.run_until(found, timeout_ms=timeout_ms)
    p = cluster.primary
    return p if p is not None and p not in exclude else None


def members_in_role(cluster, role: str) -> list[str]:
    """The members now in ``role`` (``"secondary"``, ``"primary"``, ``"down"`` ...), in order.

    Example:
        >>> members_in_role(c, "secondary")   # doctest: +SKIP
        ['n1', 'n2']
    """
    return [n for n, r in cluster.roles().items() if r == role]


def primaries_by_term(cluster) -> dict[int, list[str]]:
    """term -> the members that became primary in it, in the order they did, from the trace's
    ``role`` events. Two members in one term would break election safety (Raft's Election
    Safety property; MongoDB pv1 inherits it).

    Example:
        >>> primaries_by_term(c)   # doctest: +SKIP
        {1: ['n3'], 2: ['n2']}
    """
    out: dict[int, list[str]] = {}
    for e in events(cluster, "role", role="primary"):
        members = out.setdefault(e.data["term"], [])
        if e.node not in members:
            members.append(e.node)
    return out


def primary_intervals(cluster) -> dict[str, list[tuple[int, int]]]:
    """node -> ``[(became_primary_ms, stopped_ms)]`` from the trace (a crash ends an interval;
    an interval still open ends at now).

    Example:
        >>> primary_intervals(c)   # doctest: +SKIP
        {'n3': [(1096, 2950)], 'n2': [(2960, 4000)]}
    """
    out: dict[str, list[tuple[int, int]]] = {}
    open_: dict[str, int] = {}
    for e in cluster.sim.trace:
        if e.kind == "role":
            if e.data.get("role") == "primary":
                open_[e.node] = e.time_ms
            elif e.node in open_:
                out.setdefault(e.node, []).append((open_.pop(e.node), e.time_ms))
        elif e.kind == "crash" and e.node in open_:
            out.setdefault(e.node, []).append((open_.pop(e.node), e.time_ms))
    for node, start in open_.items():
        out.setdefault(node, []).append((start, cluster.now))
    return out


def step_down_ms(cluster, node: str, after_ms: int = 0) -> int | None:
    """When ``node`` stepped down from primary at or after ``after_ms``, or None.

    Example:
        >>> step_down_ms(c, "n3", after_ms=isolate_ms)   # doctest: +SKIP
        3012
    """
    found = events(cluster, "role", node=node, since_ms=after_ms, role="secondary",
                   previous="primary")
    return found[0].time_ms if found else None


def hint_replayed_ms(cluster, *, key: str | None = None, target: str | None = None,
                     after_ms: int = 0) -> int | None:
    """When a hint (for ``key``, to ``target``, if given) was first replayed and acknowledged
    at or after ``after_ms``, or None (Cassandra hinted handoff).

    Example:
        >>> hint_replayed_ms(c, key="user:3")   # doctest: +SKIP
        2180
    """
    fields = {k: v for k, v in (("key", key), ("target", target)) if v is not None}
    found = events(cluster, "hint", since_ms=after_ms, action="replayed", **fields)
    return found[0].time_ms if found else None


def keys_received(cluster, node: str, *, since_ms: int | None = None) -> tuple[str, ...]:
    """The keys ``node`` received from anti-entropy (Merkle-tree repair), sorted.

    Example:
        >>> keys_received(c, "n3")   # doctest: +SKIP
        ('k1', 'k4', 'k9')
    """
    keys: set[str] = set()
    for e in events(cluster, "anti_entropy", node=node, since_ms=since_ms, action="received"):
        keys.update(e.data["keys"])
    return tuple(sorted(keys))


def key_where(cluster, pred: Callable[[list], bool], prefix: str = "k") -> str:
    """The first key ``k0``, ``k1``, ... whose preference list satisfies ``pred`` (a ring).

    Raises:
        ConfigError: no key among the first 10,000 candidates satisfies ``pred``.

    Example:
        >>> key_where(c, lambda prefs: "n1" not in prefs, prefix="user:")   # doctest: +SKIP
        'user:2'
    """
    for i in range(10_000):
        key = f"{prefix}{i}"
        if pred(cluster.replicas_for(key)):
            return key
    raise ConfigError(f"no key {prefix}0..{prefix}9999 has a preference list satisfying the "
                      f"predicate; loosen it or use another prefix")


def holders(cluster, key: str) -> dict:
    """node -> value for every node storing ``key`` now.

    Example:
        >>> holders(c, "x")   # doctest: +SKIP
        {'n1': '1', 'n2': '1', 'n3': '1'}
    """
    return {r["node"]: r["value"] for r in cluster.replica_records() if r["key"] == key}


def wait_seen_down(cluster, nodes, *, by=None, timeout_ms: int = 10_000) -> int | None:
    """Run an AP ring until the failure detectors of ``by`` believe every one of ``nodes`` down.

    How long that takes is the detector's business, not the caller's: with the default phi
    accrual detector (Cassandra's ``phi_convict_threshold`` 8) about 18 mean heartbeat
    intervals of silence, longer on a young detector whose window still holds the initial
    interval; with ``failure_detector="timeout"`` ``failure_timeout_ms``. Scenarios that only
    need a node known down wait with this instead of guessing a time.

    Args:
        cluster: an AP ``Cluster`` (one with ``detector_view()``).
        nodes: the node, or the nodes, that should be seen down.
        by: the observer, or the observers; None: every node that is up and not in ``nodes``.
        timeout_ms: give up after this much simulated time.

    Returns:
        The simulated ms it took (0 if already seen down), or None if ``timeout_ms`` passed
        (an observer that crashes meanwhile never sees it).

    Raises:
        ConfigError: an observer in ``by`` is not up, or is one of ``nodes``.

    Example:
        >>> c.crash("n3"); wait_seen_down(c, "n3", by="n1")   # doctest: +SKIP
        3600
    """
    start = cluster.now
    targets = [nodes] if isinstance(nodes, str) else list(nodes)
    observers = [by] if isinstance(by, str) else by
    up = cluster.detector_view()
    for name in observers or ():
        if name not in up or name in targets:
            raise ConfigError(f"observer {name!r} is not an up node outside {targets}; "
                              f"choose among {sorted(n for n in up if n not in targets)}")

    def seen() -> bool:
        view = cluster.detector_view()
        names = observers if observers is not None else [n for n in view if n not in targets]
        return all(t in view.get(n, ()) for n in names for t in targets)
    if not seen() and not cluster.sim.run_until(seen, timeout_ms=timeout_ms):
        return None
    return cluster.now - start
