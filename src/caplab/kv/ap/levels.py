"""Consistency levels of the ring (Cassandra's ANY (writes only), ONE, TWO, THREE, QUORUM, ALL,
LOCAL_ONE, LOCAL_QUORUM and EACH_QUORUM (with datacenters), SERIAL and LOCAL_SERIAL (reads
only: they run Paxos), or a number of replicas 1..RF): one
validation rule shared by the ring's options and the driver's per-operation ``consistency=``.

Example::

    >>> from caplab.kv.ap.levels import check_level
    >>> check_level("write_consistency", "QUORUM", 3)
    'quorum'
    >>> check_level("read_consistency", 2, 3)
    2
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError
from .coordinator import LEVELS, SERIAL_READS, required_replicas
from .topology import DC_LEVELS

__all__ = ["check_level", "LEVELS"]


def check_level(name: str, level, rf: int, *, for_read: bool = False, datacenters=None):
    """Validate a consistency level against ``rf``; return it normalised (a lower-case name,
    or the integer number of replicas).

    Args:
        name: the option's name, for messages (``"write_consistency"``, ``"consistency"``).
        level: a level name (any case) or an integer 1..``rf``.
        rf: the replication factor.
        for_read: a read level (ANY refused; SERIAL and LOCAL_SERIAL allowed).
        datacenters: the ring's ``datacenters`` option (LOCAL_ONE, LOCAL_QUORUM and
            EACH_QUORUM need it).

    Returns:
        ``level`` normalised: ``"one"``, ``"quorum"``..., or the integer.

    Raises:
        UnknownNameError: an unknown level name (or a value that is neither a name nor an int).
        ConfigError: a level needing more replicas than ``rf`` (or fewer than 1).
    """
    if isinstance(level, str):
        norm = level.lower()
        if norm not in LEVELS:
            raise UnknownNameError(f"{name} level", level, list(LEVELS) + [f"1..{rf}"])
    elif isinstance(level, int) and not isinstance(level, bool):
        norm = level
        if level < 1:
            raise ConfigError(f"{name}={level} must be >= 1; choose 1 <= {name} <= {rf}")
    else:
        raise UnknownNameError(f"{name} level", level, list(LEVELS) + [f"1..{rf}"])
    if norm == "any" and for_read:
        raise ConfigError(f"{name}={level!r}: ANY is a write level only (Cassandra: a write at "
                          f"ANY may be acknowledged by a hint alone, which nobody can read); "
                          f"read at one, quorum, all or 1..{rf}")
    if norm in SERIAL_READS and not for_read:
        raise ConfigError(f"{name}={level!r}: {norm.upper()} is a read level (a SERIAL read runs "
                          f"Paxos) and the level of a lightweight transaction's Paxos phase "
                          f"(cas(..., serial_consistency=...)); write at any, one, quorum, all "
                          f"or 1..{rf}")
    if norm in DC_LEVELS and not datacenters:
        raise ConfigError(f"{name}={level!r}: {norm.upper()} counts replicas per datacenter "
                          f"and this ring has none; give datacenters={{'dc1': 3, 'dc2': 3}} "
                          f"(NetworkTopologyStrategy) or use one, quorum, all or 1..{rf}")
    needed = required_replicas(norm, rf)
    if needed > rf:
        raise ConfigError(f"{name}={level!r} needs {needed} replicas but replication_factor="
                          f"{rf}; choose one, quorum, all or 1 <= {name} <= {rf}")
    return norm
