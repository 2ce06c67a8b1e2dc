"""Joining and leaving the ring: the keys whose preference lists change are streamed to their
new owners (Cassandra bootstrap and decommission; Dynamo section 4.9), instantly in the lab."""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError
from .node import RingNode
from .versions import reconcile

__all__ = ["MembershipMixin"]


class MembershipMixin:
    """``add_node`` / ``remove_node`` of :class:`~caplab.kv.ap.ring.Ring`."""

    def _all_keys(self) -> list[str]:
        return sorted({k for node in self.nodes.values() for k in node.store.data})

    def _stream(self, old_prefs: dict, removed: RingNode | None = None) -> dict:
        """Copy each key whose preference list changed to its new owners; drop it from nodes
        that no longer own it (Cassandra: bootstrap/decommission streaming, then cleanup).
        Streaming is instantaneous here (a deviation: real streaming takes time)."""
        conflict = self.options["conflict"]
        moved, copies = [], 0
        for key, old in old_prefs.items():
            new = self.hashring.preference_list(key, self.rf)
            if new == old and removed is None:
                continue
            if set(new) == set(old):
                continue
            sources = [self.nodes[n] for n in old if n in self.nodes]
            if removed is not None and removed.name in old:
                sources.append(removed)
            versions = reconcile([v for node in sources for v in node.store.get(key)],
                                 conflict)
            for owner in new:
                if owner not in old:
                    if versions:
                        self.nodes[owner].store.apply(key, versions)
                    copies += 1
            for owner in old:
                if owner not in new and owner in self.nodes:
                    self.nodes[owner].store.drop(key)
            moved.append(key)
        total = len(old_prefs)
        return {"keys": total, "keys_moved": len(moved),
                "key_fraction_moved": len(moved) / total if total else 0.0,
                "copies_moved": copies,
                "fraction_moved": copies / (total * self.rf) if total else 0.0,
                "moved_keys": moved}

    def add_node(self, name: str | None = None) -> dict:
        """Add a node (bootstrap): it takes ``vnodes`` tokens and the data of the ranges it now
        owns is streamed to it from the old replicas.

        Returns:
            a report: ``node``, ``keys``, ``keys_moved``, ``key_fraction_moved``,
            ``copies_moved``, ``fraction_moved`` (of replica copies; ideal ``1/(N+1)``),
            ``optimal_fraction``, ``moved_keys``, ``load`` (keys per node).

        Example:
            >>> c.add_node()["fraction_moved"]      # doctest: +SKIP
            0.171
        """
        if self.dc_of:
            raise ConfigError("add_node and remove_node are not modelled with datacenters "
                              "(Cassandra bootstraps a node into a named datacenter); build "
                              "the ring with the nodes it needs")
        network = self.cluster.network
        if name is None:
            i = len(self.nodes) + 1
            while f"n{i}" in network.endpoints:
                i += 1
            name = f"n{i}"
        if not isinstance(name, str) or not name:
            raise ConfigError(f"node name must be a non-empty string, got {name!r}")
        if name in network.endpoints:
            raise ConfigError(f"{name!r} already exists on the network; choose another name")
        keys = self._all_keys()
        old_prefs = {k: self.hashring.preference_list(k, self.rf) for k in keys}
        self.hashring.add(name)
        node = RingNode(name, self)
        self.cluster.world.add_node(node)
        self.nodes[name] = node
        now = self.cluster.sim.now
        for other in self.nodes.values():
            if other is not node and other.up:   # the joining node is announced by gossip
                other.detector.trust(name, now)
                other.believed_up.add(name)
        node.start(len(self.nodes) - 1)
        report = self._stream(old_prefs)
        report.update(node=name, optimal_fraction=1 / len(self.nodes), load=self.load())
        self.cluster.sim.trace.record(now, "note", name, None, None, None,
                                      f"add_node {name}: moved {report['copies_moved']} "
                                      f"copies of {report['keys_moved']} keys",
                                      {"action": "add_node", "node": name,
                                       "copies_moved": report["copies_moved"],
                                       "keys_moved": report["keys_moved"]})
        return report

    def remove_node(self, name: str) -> dict:
        """Decommission ``name``: its ranges go to the next nodes clockwise, which receive the
        data by streaming; its hints go to another node; clients near it move to the next node.

        Returns:
            a report like :meth:`add_node`'s (ideal ``fraction_moved`` is ``1/N``).

        Raises:
            UnknownNameError: ``name`` is not a node.
            ConfigError: fewer than ``replication_factor`` nodes would remain.
        """
        if self.dc_of:
            raise ConfigError("add_node and remove_node are not modelled with datacenters "
                              "(Cassandra bootstraps a node into a named datacenter); build "
                              "the ring with the nodes it needs")
        if name not in self.nodes:
            raise UnknownNameError("node", name, list(self.nodes))
        if len(self.nodes) - 1 < self.rf:
            raise ConfigError(f"removing {name!r} would leave {len(self.nodes) - 1} nodes, fewer "
                              f"than replication_factor={self.rf}; at least {self.rf} nodes "
                              f"must remain (add a node first)")
        network = self.cluster.network
        optimal = 1 / len(self.nodes)
        keys = self._all_keys()
        old_prefs = {k: self.hashring.preference_list(k, self.rf) for k in keys}
        self.hashring.remove(name)
        node = self.nodes.pop(name)
        report = self._stream(old_prefs, removed=node)
        heir = self.nodes[next(iter(self.hashring.walk(name)))]
        for hint in node.hints:   # Cassandra decommission hands its hints over
            if hint.target != heir.name and hint.target in self.nodes:
                heir.hints.append(hint)
        for other in self.nodes.values():
            other.hints = [h for h in other.hints if h.target != name]
            other.detector.forget(name)
            other.believed_up.discard(name)
            other.down_since.pop(name, None)
        node.incarnation += 1       # its timers die
        node.up = False
        for client in sorted(network.client_names):
            if network.near(client) == name:
                network._near[client] = heir.name   # clients follow the ring to the heir
        self.cluster.world.remove_node(name)
        report.update(node=name, optimal_fraction=optimal, load=self.load())
        self.cluster.sim.trace.record(self.cluster.sim.now, "note", name, None, None, None,
                                      f"remove_node {name}: moved {report['copies_moved']} "
                                      f"copies of {report['keys_moved']} keys",
                                      {"action": "remove_node", "node": name,
                                       "copies_moved": report["copies_moved"],
                                       "keys_moved": report["keys_moved"]})
        return report

    # -- observability -------------------------------------------------------------------------
