"""The contract between the :class:`~caplab.kv.Cluster` facade and a mode (CP or AP).

A mode is a :class:`Backend` (the servers) with a :class:`Driver` (the client library: which
node to ask, retries, what replies mean). Both are plain Python on the simulation kernel.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError, UnknownNameError
from ..world.client import Driver as WorldDriver

__all__ = ["Backend", "Driver", "validate_options"]


def validate_options(what: str, given: dict, defaults: dict) -> dict:
    """Merge ``given`` into ``defaults``; unknown names raise, listing the allowed ones.

    ``what`` names the kind of option in the message, e.g. ``"option for mode 'cp'"``.
    """
    for name in given:
        if name not in defaults:
            raise UnknownNameError(what, name, sorted(defaults))
    merged = dict(defaults)
    merged.update(given)
    return merged


class Driver(WorldDriver):
    """Client-side protocol of a mode. Subclasses implement :meth:`start` and :meth:`receive`.

    ``PUT_OPTIONS`` (also for ``delete``) and ``GET_OPTIONS`` list the per-operation options
    with their defaults (None: use the cluster's setting).
    """

    PUT_OPTIONS: dict = {"timeout_ms": None}
    GET_OPTIONS: dict = {"timeout_ms": None}
    #: options of ``cas`` (compare-and-set); None: the mode has no cas
    CAS_OPTIONS: dict | None = None

    def __init__(self, backend) -> None:
        self.backend = backend

    def options_for(self, op: str) -> dict:
        if op == "cas":
            if self.CAS_OPTIONS is None:
                raise ConfigError(f"cas is not an operation of mode {self.backend.mode!r}; "
                                  f"compare-and-set runs in mode 'ap' (Cassandra's lightweight "
                                  f"transactions)")
            return {"timeout_ms": None, **self.CAS_OPTIONS}
        return {"timeout_ms": None, **(self.GET_OPTIONS if op == "get" else self.PUT_OPTIONS)}


class Backend:
    """Servers of a mode.

    Attributes a subclass sets: ``mode`` ("cp", "ap", "ca"), ``OPTIONS`` (cluster options with
    defaults), ``driver`` (a :class:`Driver`), ``nodes`` (name -> node endpoint).

    A subclass must define :meth:`check_options` (validate every option value before anything
    is built) and :meth:`describe` (roles, options and presets for views and panels); a class
    that does not is refused when it is defined, so a mode that forgets either does not load.
    """

    mode: str = ""
    OPTIONS: dict = {}
    #: mode-specific public methods the Cluster exposes (e.g. "rollbacks", "replicas_for")
    PUBLIC: tuple = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for required in ("check_options", "describe"):
            if not any(required in klass.__dict__ for klass in cls.__mro__[:-1]
                       if klass is not Backend):
                raise TypeError(f"{cls.__name__} must define {required}(): every mode validates "
                                f"its options and describes itself")

    @classmethod
    def check_options(cls, options: dict, node_names: list[str]) -> dict:
        """Validate option values without building anything; return them normalised.

        Raises:
            ConfigError / UnknownNameError naming the value and what is allowed.
        """
        raise NotImplementedError

    def describe(self):
        """A :class:`caplab.world.describe.Description` of this mode in its current state."""
        raise NotImplementedError

    def __init__(self, cluster, node_names: list[str], options: dict) -> None:
        self.cluster = cluster
        self.options = options
        self.nodes: dict = {}

    # What the facade and the views read -------------------------------------------------
    def roles(self) -> dict[str, str]:
        """node -> role ("primary", "secondary", "candidate", "replica", "down", ...)."""
        return {name: ("replica" if node.up else "down") for name, node in self.nodes.items()}

    @property
    def primary(self) -> str | None:
        return None

    def node_info(self) -> list[dict]:
        """One dict per node for tables and views (role, term, counters ...)."""
        roles = self.roles()
        return [{"node": n, "role": roles[n], "up": self.nodes[n].up} for n in self.nodes]

    def replica_records(self) -> list[dict]:  # pragma: no cover - abstract
        """One dict per (node, key) a node holds: node, key, value, version."""
        raise NotImplementedError

    def export_data(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """key -> current value, the data to carry into another mode."""
        raise NotImplementedError

    def import_data(self, data: dict[str, Any]) -> None:  # pragma: no cover - abstract
        """Load ``data`` (key -> value) into every replica as already-replicated state."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop the backend's timers (called when the cluster switches mode)."""
        for node in self.nodes.values():
            node.incarnation += 1   # invalidates every timer the node set
