"""The key-value client: ``put``/``get`` (and their asynchronous forms) on a :class:`Cluster`.

A client is placed ``near`` a node and travels with it in partitions. ``put``/``get`` run the
simulation until the operation completes, fails or times out; ``put_async``/``get_async`` return
an :class:`~caplab.world.client.OpHandle` so workloads can keep many operations in flight. The
protocol-specific part (which node to ask, what to do with replies) is the mode's *driver*.
"""

from __future__ import annotations

from typing import Any

from ..world.client import Client as WorldClient
from ..world.client import OpHandle, Result

__all__ = ["Client", "OpHandle", "Result"]


class Client(WorldClient):
    """A key-value client. Create it with ``cluster.client(name, near=node)``."""

    @property
    def cluster(self):
        """The :class:`~caplab.kv.Cluster` this client talks to."""
        return self.system

    # -- the public operations -------------------------------------------------------------
    def put(self, key: str, value: Any, **options) -> Result:
        """Write ``value`` under ``key`` and wait for the outcome.

        Options depend on the mode (CP: ``w``, ``wtimeout_ms``; AP: ``consistency``) and
        override the cluster's defaults for this operation only.

        Example:
            >>> r = alice.put("x", "1", w="majority")   # doctest: +SKIP
        """
        return self.wait(self.put_async(key, value, **options))

    def get(self, key: str, **options) -> Result:
        """Read ``key`` and wait for the outcome (``value`` is None for a missing key).

        Example:
            >>> alice.get("x", read_preference="secondary").value   # doctest: +SKIP
        """
        return self.wait(self.get_async(key, **options))

    def put_async(self, key: str, value: Any, **options) -> OpHandle:
        """Start a write; returns an :class:`OpHandle` at once."""
        return self.invoke("put", key, value, options)

    def get_async(self, key: str, **options) -> OpHandle:
        """Start a read; returns an :class:`OpHandle` at once."""
        return self.invoke("get", key, None, options)

    def delete(self, key: str, **options) -> Result:
        """Delete ``key`` and wait for the outcome; options as for :meth:`put`.

        In the ring (AP) a delete writes a tombstone (Cassandra), which shadows older values
        until compaction purges it ``gc_grace_ms`` later; in the replica set (CP) and the
        primary-replica store (CA) it writes "no value". A read of a deleted key returns None.

        Example:
            >>> alice.delete("x", consistency="quorum").ok   # doctest: +SKIP
            True
        """
        return self.wait(self.delete_async(key, **options))

    def delete_async(self, key: str, **options) -> OpHandle:
        """Start a delete; returns an :class:`OpHandle` at once."""
        return self.invoke("delete", key, None, options)

    def cas(self, key: str, expected: Any, new: Any, **options) -> Result:
        """Compare-and-set: write ``new`` only if ``key`` holds ``expected`` (None: the key does
        not exist, CQL's ``IF NOT EXISTS``), and wait for the outcome.

        In the ring (AP) this is a lightweight transaction through Paxos (Cassandra);
        options: ``serial_consistency`` (``"serial"`` or ``"local_serial"``), ``consistency``
        (the commit's level). ``output`` says ``{"applied": ..., "current": ...}``; a condition
        that fails ends as ``fail`` with the current value.

        Raises:
            ConfigError: the mode has no compare-and-set, or a bad option value.

        Example:
            >>> alice.cas("user:ann", None, "alice").output   # doctest: +SKIP
            {'applied': True, 'current': 'alice'}
        """
        return self.wait(self.cas_async(key, expected, new, **options))

    def cas_async(self, key: str, expected: Any, new: Any, **options) -> OpHandle:
        """Start a compare-and-set; returns an :class:`OpHandle` at once."""
        return self.invoke("cas", key, (expected, new), options)
