"""Options of the Kafka-like log, checked before anything is built, and the stable key hash.

Every duration is Kafka's default scaled to lab time (divided by 100, so a 30 s timeout becomes
300 ms of simulated time) so that faults play out in a few simulated seconds.
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError, check_flag, check_non_negative_int

__all__ = ["LOG_OPTIONS", "TOPIC_OPTIONS", "PRODUCE_OPTIONS", "ACKS", "check_log_options",
           "check_topic_options", "check_acks", "check_idempotence", "murmur2",
           "partition_for"]

#: log-wide (broker and controller) options and their defaults (Kafka defaults / 100)
LOG_OPTIONS = {
    # Kafka: replica.lag.time.max.ms = 30000; a follower that has not caught up for this long
    # leaves the ISR.
    "replica_lag_time_max_ms": 300,
    # Kafka: replica.fetch.wait.max.ms = 500: a follower's fetch waits this long for data.
    "replica_fetch_wait_max_ms": 5,
    # KRaft: broker.heartbeat.interval.ms = 2000, broker.session.timeout.ms = 9000.
    "broker_heartbeat_ms": 20,
    "broker_session_timeout_ms": 90,
    # Kafka: unclean.leader.election.enable = false (off since 0.11).
    "unclean_leader_election": False,
    # Consumer: heartbeat.interval.ms = 3000, session.timeout.ms = 45000.
    "consumer_heartbeat_ms": 30,
    "session_timeout_ms": 450,
    # Kafka: log.retention.check.interval.ms = 300000.
    "retention_check_ms": 100,
    # Largest number of records in one fetch response (max.partition.fetch.bytes, in records).
    "max_fetch_records": 500,
}

#: per-topic options and their defaults. Kafka's broker defaults are num.partitions = 1 and
#: default.replication.factor = 1; the lab replicates min(3, brokers) times unless told
#: otherwise (the usual production setting), so that losing a broker is survivable by default.
TOPIC_OPTIONS = {"partitions": 1, "replication_factor": 3, "min_insync_replicas": 1,
                 # Kafka: retention.ms = 604800000 (7 days); None keeps everything.
                 "retention_ms": None}

#: per-produce options and their defaults (Kafka 3.0+: acks=all and idempotence on).
#: ``idempotent`` is Kafka's ``enable.idempotence``; None (its default) means "on unless a
#: conflicting setting is given" (see :func:`check_idempotence`).
PRODUCE_OPTIONS = {"acks": "all", "retries": 5, "idempotent": None,
                   # Kafka: request.timeout.ms = 30000, retry.backoff.ms = 100; Kafka's retries
                   # default is 2147483647, bounded by delivery.timeout.ms = 120000: the lab
                   # retries 5 times, so a produce to a dead partition ends in lab time.
                   "request_timeout_ms": 300, "retry_backoff_ms": 10, "timeout_ms": None}

#: allowed values of ``acks`` (-1 is Kafka's alias of "all")
ACKS = (0, 1, "all")


def check_acks(acks):
    """Return ``acks`` normalised to 0, 1 or ``"all"``.

    Raises:
        ConfigError: ``acks`` is not 0, 1, "all" or -1.

    Example:
        >>> check_acks(-1)
        'all'
    """
    if acks == -1 and not isinstance(acks, bool):
        return "all"
    if isinstance(acks, bool) or acks not in ACKS:
        raise ConfigError(f"acks must be one of 0, 1, 'all' (or -1, Kafka's alias of 'all'), "
                          f"got {acks!r}")
    return acks


def check_idempotence(idempotent, acks, retries: int) -> bool:
    """Whether a produce is idempotent, by Kafka's rule for ``enable.idempotence``.

    Kafka producer configs (``enable.idempotence``, default true since 3.0): "enabling
    idempotence requires ... retries to be greater than 0, and acks must be 'all' ... If
    conflicting configurations are set and idempotence is not explicitly enabled, idempotence
    is disabled. If idempotence is explicitly enabled and conflicting configurations are set,
    a ConfigException is thrown." So ``None`` (not given) is on with ``acks="all"`` and
    ``retries > 0`` and off otherwise; ``True`` with ``acks`` 0 or 1 or ``retries=0`` raises.

    Args:
        idempotent: True, False or None (Kafka's default). acks: already normalised.
        retries: the number of retries.

    Returns:
        True if the producer's batches carry a producer id and sequence numbers.

    Raises:
        ConfigError: ``idempotent`` is not a bool or None, or True with a conflicting setting.

    Example:
        >>> check_idempotence(None, "all", 5), check_idempotence(None, 1, 5)
        (True, False)
    """
    if idempotent is not None and not isinstance(idempotent, bool):
        raise ConfigError(f"idempotent must be True, False or None (Kafka's default: on unless "
                          f"acks or retries conflict), got {idempotent!r}")
    compatible = acks == "all" and retries > 0
    if idempotent and not compatible:
        raise ConfigError(f"idempotent=True (enable.idempotence) requires acks='all' and "
                          f"retries > 0, got acks={acks!r}, retries={retries!r} (Kafka throws a "
                          f"ConfigException); drop idempotent=True or use acks='all'")
    return compatible if idempotent is None else idempotent


def _positive_ms(name: str, value) -> int:
    value = check_non_negative_int(name, value)
    if value == 0:
        raise ConfigError(f"{name} must be > 0 ms, got 0")
    return value


def check_log_options(given: dict) -> dict:
    """Merge ``given`` into :data:`LOG_OPTIONS` and validate every value.

    Raises:
        UnknownNameError: an option that does not exist (the allowed ones are listed).
        ConfigError: a bad value.
    """
    for name in given:
        if name not in LOG_OPTIONS:
            raise UnknownNameError("log option", name, sorted(LOG_OPTIONS))
    options = dict(LOG_OPTIONS)
    options.update(given)
    for name, value in options.items():
        if name == "unclean_leader_election":
            check_flag(name, value)
        else:
            options[name] = _positive_ms(name, value)
    if options["broker_session_timeout_ms"] <= options["broker_heartbeat_ms"]:
        raise ConfigError(f"broker_session_timeout_ms={options['broker_session_timeout_ms']} must "
                          f"exceed broker_heartbeat_ms={options['broker_heartbeat_ms']}")
    if options["session_timeout_ms"] <= options["consumer_heartbeat_ms"]:
        raise ConfigError(f"session_timeout_ms={options['session_timeout_ms']} must exceed "
                          f"consumer_heartbeat_ms={options['consumer_heartbeat_ms']}")
    return options


def check_topic_options(name, given: dict, brokers: int) -> dict:
    """Validate a topic's name and options against ``brokers`` brokers; return them complete.

    Raises:
        ConfigError: a bad name, ``partitions < 1``, a replication factor outside
            ``1..brokers``, or ``min_insync_replicas`` outside ``1..replication_factor``.
        UnknownNameError: an unknown option.

    Example:
        >>> check_topic_options("orders", {"partitions": 2}, 3)["replication_factor"]
        3
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"a topic name must be a non-empty string, got {name!r}")
    for option in given:
        if option not in TOPIC_OPTIONS:
            raise UnknownNameError("topic option", option, sorted(TOPIC_OPTIONS))
    options = dict(TOPIC_OPTIONS)
    options["replication_factor"] = min(3, brokers)
    options.update(given)
    p, rf, mir = options["partitions"], options["replication_factor"], \
        options["min_insync_replicas"]
    for label, value in (("partitions", p), ("replication_factor", rf),
                         ("min_insync_replicas", mir)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{label} must be a whole number, got {value!r}")
    if p < 1:
        raise ConfigError(f"partitions must be >= 1, got {p}")
    if not 1 <= rf <= brokers:
        raise ConfigError(f"replication_factor must be between 1 and the number of brokers "
                          f"({brokers}), got {rf}")
    if not 1 <= mir <= rf:
        raise ConfigError(f"min_insync_replicas must be between 1 and the replication factor "
                          f"({rf}), got {mir}")
    if options["retention_ms"] is not None:
        options["retention_ms"] = _positive_ms("retention_ms", options["retention_ms"])
    return options


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash (``org.apache.kafka.common.utils.Utils.murmur2``), as a signed int.

    Stable across processes, unlike Python's salted ``hash()``.

    Example:
        >>> murmur2(b"21")
        -973932308
    """
    m, r, mask = 0x5BD1E995, 24, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    for i in range(0, length - length % 4, 4):
        k = data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    tail = length % 4
    base = length - tail
    if tail == 3:
        h ^= data[base + 2] << 16
    if tail >= 2:
        h ^= data[base + 1] << 8
    if tail >= 1:
        h ^= data[base]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(key: str, partitions: int) -> int:
    """The partition of ``key``: Kafka's default partitioner, ``toPositive(murmur2(key)) % P``.

    Example:
        >>> partition_for("alice", 4) == partition_for("alice", 4)
        True
    """
    return (murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % partitions
