"""AP mode: a Cassandra/Dynamo-style consistent-hashing ring (see :mod:`caplab.kv.ap.ring`)."""

from .hashring import HashRing
from .levels import check_level
from .ring import Ring

__all__ = ["Ring", "HashRing", "check_level"]
