"""NATS subjects: dot-separated tokens; subscriptions may use ``*`` (exactly one token) and
``>`` (one or more tokens, last only); publishers use full subjects.

Pure functions. Source: NATS documentation, "Subject-Based Messaging" (wildcards: ``*`` matches
a single token, ``>`` one or more tokens and only at the end, so ``foo.>`` does not match
``foo``; publishers must use full subjects without wildcards; tokens are non-empty).

Example:
    >>> subject_matches("orders.*.paid", "orders.eu.paid"), subject_matches("foo.>", "foo")
    (True, False)
"""

from __future__ import annotations

from functools import lru_cache

from ...errors import ConfigError

__all__ = ["check_subject", "check_pattern", "subject_matches"]


def _tokens(what: str, subject) -> list[str]:
    if not isinstance(subject, str) or not subject:
        raise ConfigError(f"a {what} must be a non-empty string, got {subject!r}")
    if any(c.isspace() for c in subject):
        raise ConfigError(f"malformed {what} {subject!r}: whitespace is not allowed")
    tokens = subject.split(".")
    if "" in tokens:
        raise ConfigError(f"malformed {what} {subject!r}: empty token; tokens are separated "
                          f"by single dots, e.g. 'orders.eu.paid'")
    return tokens


def check_subject(subject) -> str:
    """Return a publish subject if it is a full subject (no wildcards), else raise.

    Raises:
        ConfigError: empty tokens, whitespace, or a wildcard.
    """
    for token in _tokens("subject", subject):
        if "*" in token or ">" in token:
            raise ConfigError(f"malformed subject {subject!r}: publishers use full subjects; "
                              f"wildcards '*' and '>' are for subscriptions")
    return subject


def check_pattern(pattern) -> str:
    """Return a subscription subject if well formed, else raise saying why.

    ``*`` and ``>`` must be whole tokens, and ``>`` only the last one (``a.>.b`` and ``a.*b``
    are refused).

    Example:
        >>> check_pattern("orders.>")
        'orders.>'

    Raises:
        ConfigError: an empty token, a wildcard inside a token, or ``>`` not last.
    """
    tokens = _tokens("subject pattern", pattern)
    for i, token in enumerate(tokens):
        if token not in ("*", ">") and ("*" in token or ">" in token):
            raise ConfigError(f"malformed subject pattern {pattern!r}: wildcard inside the "
                              f"token {token!r}; '*' and '>' must be whole tokens")
        if token == ">" and i != len(tokens) - 1:
            raise ConfigError(f"malformed subject pattern {pattern!r}: '>' must be the last "
                              f"token (it matches one or more trailing tokens)")
    return pattern


@lru_cache(maxsize=4096)
def subject_matches(pattern: str, subject: str) -> bool:
    """Whether a subscription ``pattern`` matches a full ``subject``."""
    p = pattern.split(".")
    s = subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(s) > i            # one or more tokens left
        if i >= len(s) or (token != "*" and token != s[i]):
            return False
    return len(p) == len(s)
