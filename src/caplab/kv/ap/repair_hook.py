"""Read repair as a replaceable function (the ``read_repair_fn`` option of the ring).

After a read has heard from the replicas, the coordinator calls ``fn(key, replies)``: plain data,
one :class:`Reply` ``(node, version, value)`` per replica that answered, sorted by node. The
function returns which replicas to update with which version: a dict ``{node: version}`` (or
pairs ``(node, version)``), each version one of those in the replies. The coordinator sends each
a ``ReadRepair``; the replica merges it by last-write-wins, as for any write. With anti-entropy
and hinted handoff off, this is the only way replicas that missed a write converge.

The hook applies in both repairing modes of the ``read_repair`` option. With ``"async"``
(Dynamo) it is called once every live replica answered (or the timeout fired), after the client
got its answer. With ``"blocking"`` (Cassandra's foreground repair) it is called as soon as the replicas the
consistency level needs answered, with those replies only, and the coordinator waits for the
repairs it asks for before answering (at ONE it is never called: one reply, nothing to compare).

Example:
    >>> def repair(key, replies):                       # the built-in rule, as a function
    ...     newest = max(r.version for r in replies if r.version is not None)
    ...     return {r.node: newest for r in replies if r.version != newest}
    >>> from caplab.kv import Cluster
    >>> c = Cluster(mode="ap", nodes=3, seed=1, read_repair="async", read_repair_fn=repair)
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ...errors import ConfigError
from .versions import lww_key

__all__ = ["Reply", "check_repair_hook", "run_repair_hook"]


class Reply(NamedTuple):
    """What one replica answered to a read.

    Attributes:
        node: the replica.
        version: a tuple ordering the versions, larger is newer (last-write-wins: ``(timestamp,
            is a tombstone, value bytes, coordinator)``, Cassandra's tie rule); ``None`` when
            the replica holds no value.
        value: the value it holds (``None`` when it holds none).
    """

    node: str
    version: tuple | None
    value: Any


def check_repair_hook(fn, read_repair: str, conflict: str) -> None:
    """Validate the ``read_repair_fn`` option (None, or a function, with LWW and read repair on;
    ``read_repair`` is the normalised mode).

    Raises:
        ConfigError: naming the value and what is allowed.
    """
    if fn is None:
        return
    if not callable(fn):
        raise ConfigError(f"read_repair_fn must be a function (key, replies) -> {{node: "
                          f"version}} or None (the built-in read repair), got {fn!r}")
    if read_repair == "off":
        raise ConfigError("read_repair_fn needs read_repair='blocking' or 'async' (with "
                          "read_repair='off' no read repair runs at all)")
    if conflict != "lww":
        raise ConfigError(f"read_repair_fn works with conflict='lww' only (one version per "
                          f"replica), got conflict={conflict!r}")


def replies_of(responses: dict) -> list[Reply]:
    """The replies of a read, one per replica, sorted by node (LWW: at most one version each)."""
    out = []
    for node in sorted(responses):
        versions = tuple(responses[node])
        if versions:
            v = versions[-1]
            out.append(Reply(node, lww_key(v), v.value))
        else:
            out.append(Reply(node, None, None))
    return out


def run_repair_hook(fn, key: str, responses: dict) -> list[tuple[str, Any]]:
    """Call ``fn(key, replies)`` and turn its answer into ``[(node, Version)]``, sorted by node.

    Raises:
        ConfigError: the answer names a node that did not answer, or a version no replica
            reported, or is not a dict / list of pairs.
    """
    by_key = {}
    for versions in responses.values():
        for v in versions:
            by_key[lww_key(v)] = v
    replies = replies_of(responses)
    answer = fn(key, list(replies))
    if answer is None:
        return []
    name = getattr(fn, "__name__", repr(fn))
    try:
        pairs = list(answer.items()) if isinstance(answer, dict) else [tuple(p) for p in answer]
        if not all(len(p) == 2 for p in pairs):
            raise TypeError
    except TypeError:
        raise ConfigError(f"read_repair_fn {name} returned {answer!r}; return a dict "
                          f"{{node: version}} (or None for no repair)") from None
    plan = []
    for node, version in pairs:
        if node not in responses:
            raise ConfigError(f"read_repair_fn {name} asked to repair {node!r}, which did not "
                              f"answer this read of {key!r}; answering replicas: "
                              f"{', '.join(sorted(responses))}")
        if version is None or tuple(version) not in by_key:
            raise ConfigError(f"read_repair_fn {name} returned version {version!r} for {node!r}, "
                              f"which no replica reported for {key!r}; use a reply's .version")
        plan.append((node, by_key[tuple(version)]))
    return sorted(plan, key=lambda p: p[0])
