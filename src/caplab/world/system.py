"""A system facade on a world: what every system (key-value store, transactions, buses,
services) shares, written once.

A :class:`System` stands on a :class:`~caplab.world.world.World` (its own, or one it shares):
the world's faults, time, clients and history are reachable from the facade itself
(``c.partition(...)``, ``c.run_for(ms)``, ``c.history``), so a student never has to ask which
object owns them. Each system adds only what is its own: its nodes, its operations, its state.

Example:
    >>> from caplab.kv import Cluster
    >>> c = Cluster(mode="ap", nodes=3, seed=1)
    >>> c.world.now == c.now
    True
"""

from __future__ import annotations

from .world import World

__all__ = ["System", "WORLD_METHODS", "WORLD_ATTRIBUTES"]

#: world methods every system facade exposes as its own
WORLD_METHODS = ("partition", "isolate", "cut", "heal", "crash", "restart", "skew_clock",
                 "nemesis", "run_for", "run", "step", "run_until_idle", "run_until", "note")
#: world attributes every system facade exposes (read-only)
WORLD_ATTRIBUTES = ("sim", "network", "history", "clients", "now", "op_timeout_ms", "seed")


class System:
    """Base of every system facade: holds ``self.world`` and exposes its generic API.

    A subclass builds its nodes with ``self.world.add_node(endpoint)`` and keeps its own node
    names; the fault methods accept only those names when the subclass sets ``node_names``
    (so ``c.crash("b1")`` on a key-value cluster names the cluster's nodes in its error).
    """

    world: World

    @staticmethod
    def world_for(world: World | None, names, *, what: str = "node", **world_options) -> World:
        """The world a new system stands on: ``world`` if given (its ``names`` must be free
        there), else a new :class:`World` built with ``world_options`` (seed, latency, loss,
        op_timeout_ms, trace). Nothing is built or changed when the names are taken.

        Raises:
            ConfigError: some of ``names`` are already endpoints of ``world``.
        """
        if world is None:
            return World(**world_options)
        taken = [n for n in names if n in world.network.endpoints]
        if taken:
            from ..errors import ConfigError
            raise ConfigError(f"{what} names {taken} are already in use in this world; choose "
                              f"other names")
        return world

    def stable(self) -> bool:
        """Whether the system has settled (a system with a leader: it has one that serves).
        Systems override it; the base has nothing to wait for."""
        return True

    def run_until_stable(self, *, timeout_ms: int = 5000) -> bool:
        """Run until nothing is pending and the system is :meth:`stable` (an election over,
        say), at most ``timeout_ms`` of simulated time; True if it became stable."""
        self.world.run_until_idle()
        if self.stable():
            return True
        return self.world.run_until(self.stable, timeout_ms=timeout_ms)

    def _own_nodes(self) -> list[str]:
        """The nodes that belong to this system (fault targets named in its errors)."""
        return self.world.nodes

    def _require_node(self, name: str) -> None:
        from ..errors import UnknownNameError
        nodes = self._own_nodes()
        if name not in nodes:
            raise UnknownNameError("node", name, nodes)


def _forward_method(name):
    target = getattr(World, name)

    def method(self, *args, **kwargs):
        if name in ("crash", "restart", "skew_clock"):
            self._require_node(args[0] if args else kwargs.get("name"))
        return getattr(self.world, name)(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = target.__doc__
    return method


def _forward_attribute(name):
    return property(lambda self: getattr(self.world, name),
                    doc=f"The world's ``{name}`` (see :class:`~caplab.world.world.World`).")


for _name in WORLD_METHODS:
    setattr(System, _name, _forward_method(_name))
for _name in WORLD_ATTRIBUTES:
    setattr(System, _name, _forward_attribute(_name))
del _name
