"""AP mode: a Cassandra/Dynamo-style consistent-hashing ring (see :mod:`caplab.kv.ap.ring`)."""

from .hashring import HashRing
from .ring import Ring, check_level

__all__ = ["Ring", "HashRing", "check_level"]
