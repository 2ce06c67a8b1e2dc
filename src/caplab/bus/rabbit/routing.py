"""Exchange routing, as RabbitMQ's exchange types do it: which queues a message goes to.

Pure functions, no simulation: an exchange type, its bindings ``(queue, binding_key,
arguments)`` and a message's routing key and headers give the destination queues.

* ``direct``: the binding key equals the routing key.
* ``fanout``: every bound queue; the routing key is ignored.
* ``topic``: the routing key is dot-separated words; in a binding key ``*`` stands for exactly
  one word and ``#`` for zero or more (``a.b.*`` does not match ``a.b``; ``a.#`` matches ``a``).
* ``headers``: the binding's arguments against the message headers; ``x-match`` ``all`` (the
  default) needs every pair to match, ``any`` at least one.
* the default exchange (named ``""``): a direct exchange every queue is bound to by its name.

Source: RabbitMQ documentation, "Exchanges" and the AMQP 0-9-1 model explained (exchange types,
topic wildcards, the default exchange).

Example:
    >>> topic_matches("a.#", "a"), topic_matches("a.b.*", "a.b")
    (True, False)
"""

from __future__ import annotations

from functools import lru_cache

from ...errors import ConfigError

__all__ = ["EXCHANGE_TYPES", "X_MATCH", "check_exchange_type", "check_topic_pattern",
           "topic_matches", "headers_match", "route"]

EXCHANGE_TYPES = ("direct", "fanout", "topic", "headers")
X_MATCH = ("all", "any")


def check_exchange_type(kind) -> str:
    """Return ``kind`` if it is an exchange type, else raise naming the allowed ones.

    Raises:
        ConfigError: not one of :data:`EXCHANGE_TYPES`.
    """
    if kind not in EXCHANGE_TYPES:
        raise ConfigError(f"unknown exchange type {kind!r}; allowed: "
                          f"{', '.join(repr(k) for k in EXCHANGE_TYPES)}")
    return kind


def check_topic_pattern(pattern) -> str:
    """Return a topic binding key if it is well formed, else raise saying why.

    Words are separated by dots and may not be empty; a wildcard (``*``, ``#``) must be a whole
    word (``a.*b`` is refused: RabbitMQ would treat ``*b`` as a literal word, which is never
    what a student meant).

    Example:
        >>> check_topic_pattern("orders.*.eu")
        'orders.*.eu'

    Raises:
        ConfigError: an empty word, or a wildcard inside a word.
    """
    if not isinstance(pattern, str):
        raise ConfigError(f"a topic binding key must be a string, got {pattern!r}")
    if pattern == "":
        return pattern          # matches only the empty routing key, as in RabbitMQ
    for word in pattern.split("."):
        if word == "":
            raise ConfigError(f"malformed topic pattern {pattern!r}: empty word; words are "
                              f"separated by single dots, e.g. 'a.*.c'")
        if word not in ("*", "#") and ("*" in word or "#" in word):
            raise ConfigError(f"malformed topic pattern {pattern!r}: wildcard inside the word "
                              f"{word!r}; '*' (one word) and '#' (zero or more) must be whole "
                              f"words, e.g. 'a.*' or 'a.#'")
    return pattern


@lru_cache(maxsize=4096)
def topic_matches(pattern: str, routing_key: str) -> bool:
    """Whether a topic binding key matches a routing key (``*`` one word, ``#`` zero or more).

    Example:
        >>> topic_matches("*.orange.*", "quick.orange.rabbit")
        True
    """
    return _match(tuple(pattern.split(".")), tuple(routing_key.split(".")))


def _match(words: tuple, key: tuple) -> bool:
    if not words:
        return not key
    head, rest = words[0], words[1:]
    if head == "#":
        # zero or more words: try every split
        return any(_match(rest, key[i:]) for i in range(len(key) + 1))
    if not key:
        return False
    return (head == "*" or head == key[0]) and _match(rest, key[1:])


def headers_match(arguments: dict, headers: dict) -> bool:
    """Whether a headers-exchange binding's ``arguments`` match a message's ``headers``.

    ``x-match`` is ``all`` (default: every other pair must match) or ``any`` (one is enough);
    argument names starting with ``x-`` are not compared, as in RabbitMQ.

    Example:
        >>> headers_match({"x-match": "any", "format": "pdf", "type": "report"},
        ...               {"format": "pdf"})
        True
    """
    mode = arguments.get("x-match", "all")
    pairs = [(k, v) for k, v in sorted(arguments.items()) if not k.startswith("x-")]
    hits = [k in headers and headers[k] == v for k, v in pairs]
    if mode == "any":
        return any(hits)
    return all(hits)


def route(kind: str, bindings, routing_key: str, headers: dict) -> list[str]:
    """The queues a message reaches through an exchange of type ``kind``, each once, in order.

    Args:
        kind: the exchange type.
        bindings: ``(queue, binding_key, arguments)`` tuples.
        routing_key: the message's routing key.
        headers: the message's headers (headers exchange).

    Example:
        >>> route("topic", [("q1", "a.#", {}), ("q2", "a.b.*", {})], "a.b", {})
        ['q1']
    """
    out: dict[str, None] = {}
    for queue, key, arguments in bindings:
        if kind == "fanout":
            hit = True
        elif kind == "direct":
            hit = key == routing_key
        elif kind == "topic":
            hit = topic_matches(key, routing_key)
        else:
            hit = headers_match(arguments, headers)
        if hit:
            out[queue] = None
    return list(out)
