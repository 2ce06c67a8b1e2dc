"""Messages: small immutable records. A message's ``kind`` is its class name.

Protocols declare messages as frozen dataclasses named as nouns::

    @message
    class RequestVote:
        term: int
        candidate: str
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Message", "message"]


class Message:
    """Base of all messages. ``kind`` is the class name (used for per-kind latency and loss)."""

    __slots__ = ()

    @property
    def kind(self) -> str:
        return type(self).__name__


def message(cls):
    """Class decorator: make ``cls`` a frozen, slotted dataclass deriving from :class:`Message`."""
    if not issubclass(cls, Message):
        cls = type(cls.__name__, (cls, Message), dict(cls.__dict__))
    cls = dataclass(frozen=True, slots=True)(cls)
    cls.kind = cls.__name__   # a plain class attribute: cheaper than the property on the hot path
    return cls
