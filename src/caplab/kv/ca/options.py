"""Options of the MySQL-style source/replica topology, validated at the public boundary.

Every check raises :class:`~caplab.errors.ConfigError` (or ``UnknownNameError``) naming the value
given and what is allowed, before anything is built or changed.
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError

__all__ = ["DEFAULTS", "READ_FROM", "check_read_from", "validate_options"]

#: MySQL's defaults, with its timeouts scaled by 1/10 like the CP mode's (see the package doc).
DEFAULTS = {
    "primary": None,                # the initial source (None: the first node)
    "semi_sync": None,              # rpl_semi_sync_source_enabled (None: on iff a count is given)
    "wait_for_replica_count": None, # rpl_semi_sync_source_wait_for_replica_count (default 1)
    "semi_sync_timeout_ms": 1000,   # rpl_semi_sync_source_timeout = 10 000 ms
    "heartbeat_ms": 200,            # SOURCE_HEARTBEAT_PERIOD / SOURCE_CONNECT_RETRY (see doc)
    "source_delay_ms": 0,           # CHANGE REPLICATION SOURCE TO SOURCE_DELAY (default 0)
    "read_from": "primary",         # one connection string to the source (no read/write split)
    "connect_timeout_ms": 500,      # the client library's connect timeout
}

#: where a read goes: the source, or a replica (a read/write split: the client's own node if it
#: is a replica, else the first replica)
READ_FROM = ("primary", "replica")


def check_read_from(value):
    if value not in READ_FROM:
        raise UnknownNameError("read_from", value, READ_FROM)
    return value


def _ms(options: dict, name: str, *, positive: bool, none_ok: bool = False):
    value = options[name]
    if value is None and none_ok:
        return None
    low = 1 if positive else 0
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        what = "> 0" if positive else ">= 0"
        extra = " (or None: never fall back to asynchronous)" if none_ok else ""
        raise ConfigError(f"{name} must be a whole number of ms {what}{extra}, got {value!r}")
    return value


def validate_options(options: dict, names: list[str]) -> dict:
    """Check every option of the topology; return them normalised.

    ``primary`` becomes a node name, ``semi_sync`` a bool and ``wait_for_replica_count`` an
    integer (1 when semi-sync is on and no count was given, 0 when it is off).

    Raises:
        UnknownNameError: ``primary`` or ``read_from`` is not one of the allowed names.
        ConfigError: a negative or non-integer duration; a wait count that is not 1..replicas,
            or given while ``semi_sync=False``.
    """
    merged = dict(options)
    primary = options["primary"]
    if primary is None:
        primary = names[0]
    elif primary not in names:
        raise UnknownNameError("node for primary", primary, names)
    merged["primary"] = primary
    replicas = len(names) - 1
    semi, count = options["semi_sync"], options["wait_for_replica_count"]
    if semi is not None and not isinstance(semi, bool):
        raise ConfigError(f"semi_sync must be True, False or None, got {semi!r}")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ConfigError(f"wait_for_replica_count must be a whole number >= 1, got "
                              f"{count!r}")
        if semi is False and count > 0:
            raise ConfigError(f"wait_for_replica_count={count} asks for semi-synchronous "
                              f"replication but semi_sync=False; drop one of them")
    enabled = bool(semi) or bool(count)
    if enabled:
        count = 1 if count is None else count
        if not 1 <= count <= replicas:
            raise ConfigError(
                f"wait_for_replica_count={count} must be between 1 and the {replicas} replicas "
                f"of this {len(names)}-node topology" if replicas else
                f"semi-synchronous replication needs at least one replica; this topology has "
                f"{len(names)} node")
    merged["semi_sync"] = enabled
    merged["wait_for_replica_count"] = count if enabled else 0
    _ms(options, "semi_sync_timeout_ms", positive=False, none_ok=True)
    _ms(options, "heartbeat_ms", positive=True)
    _ms(options, "source_delay_ms", positive=False)
    _ms(options, "connect_timeout_ms", positive=True)
    check_read_from(options["read_from"])
    return merged
