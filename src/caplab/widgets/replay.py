"""The panel's action log and replay: how a deterministic simulator that cannot rewind is
scrubbed back in time (RaftScope-style checkpoints, rebuilt on demand).

Every action a panel takes on its cluster (crash, partition, put, run_for, ...) is logged with
the simulated time it started and ended. Because the same seed and the same actions give the
same history byte for byte, the state at an earlier time ``t`` is rebuilt by creating a fresh
cluster from the same recipe and replaying the log up to ``t``: actions that had ended by ``t``
are replayed whole, and the one still running at ``t`` (a ``put`` waiting for its quorum, a
``run_for``) is started asynchronously and the simulation run to exactly ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError

__all__ = ["Action", "ActionLog", "ACTIONS", "apply_action", "replay"]

#: The actions a panel can log, each the name of a Cluster method (put/get go to a client);
#: ``inject`` and ``set_nemesis`` are the live shop's (:class:`caplab.services.live.LiveShop`).
ACTIONS = ("crash", "restart", "partition", "isolate", "heal", "run_for", "step",
           "run_until_idle", "run_until_stable", "put", "get", "inject", "set_nemesis")


@dataclass(frozen=True)
class Action:
    """One logged action: ``name(*args, **kwargs)`` taken at ``start_ms``, done at ``end_ms``."""

    start_ms: int
    end_ms: int
    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def describe(self) -> str:
        """A readable line, e.g. ``'1500 ms: crash n2'``."""
        shown = [",".join(a) if isinstance(a, (list, tuple)) else repr(a) if self.name in
                 ("put", "get") else str(a) for a in self.args]
        shown += [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.start_ms} ms: {self.name} {' '.join(shown)}".rstrip()


def apply_action(cluster, name: str, args: tuple = (), kwargs: dict | None = None):
    """Take one action on ``cluster`` as a panel does (and as a replay does again).

    ``put``/``get`` take ``(client, near, key[, value])`` and the operation's options.
    """
    kwargs = dict(kwargs or {})
    if name in ("put", "get"):
        client_name, near, *rest = args
        client = cluster.client(client_name, near=near)
        return getattr(client, name)(*rest, **kwargs)
    if name not in ACTIONS:
        raise ConfigError(f"unknown panel action {name!r}; allowed: {', '.join(ACTIONS)}")
    return getattr(cluster, name)(*args, **kwargs)


def _start_partial(cluster, action: Action) -> None:
    """Start ``action`` without waiting for it (the scrub time falls inside it)."""
    if action.name in ("put", "get"):
        client_name, near, *rest = action.args
        client = cluster.client(client_name, near=near)
        getattr(client, action.name + "_async")(*rest, **action.kwargs)
    # run_for / run_until_idle / run_until_stable / step only let time pass: the caller runs to t.


class ActionLog:
    """The actions a panel took, in order, with the recipe of the cluster they were taken on.

    Args:
        recipe: a zero-argument callable building the starting cluster (same seed, same
            options), or None when the panel was given a cluster it cannot rebuild.
    """

    def __init__(self, recipe=None) -> None:
        self.recipe = recipe
        self.actions: list[Action] = []

    @property
    def can_replay(self) -> bool:
        return self.recipe is not None

    def do(self, cluster, name: str, *args, **kwargs):
        """Apply the action to ``cluster`` and log it (nothing is logged if it raised)."""
        start = cluster.now
        result = apply_action(cluster, name, args, kwargs)
        self.actions.append(Action(start, cluster.now, name, tuple(args), dict(kwargs)))
        return result

    def __len__(self) -> int:
        return len(self.actions)

    def describe(self) -> list[str]:
        return [a.describe() for a in self.actions]


def replay(log: ActionLog, t_ms: int):
    """A fresh cluster showing the state at simulated time ``t_ms`` (view only).

    Args:
        log: the panel's action log (its recipe must be set).
        t_ms: the time to stop at, >= 0.

    Returns:
        A new :class:`~caplab.kv.Cluster`, at ``now == t_ms`` unless the log ends earlier.

    Raises:
        ConfigError: the log has no recipe (the panel was given a ready-made cluster).
    """
    if log.recipe is None:
        raise ConfigError("cannot rewind: this panel was given a ready-made cluster, so it "
                          "cannot rebuild it; create the panel with mode/nodes/seed instead")
    cluster = log.recipe()
    for action in log.actions:
        if action.end_ms <= t_ms:
            apply_action(cluster, action.name, action.args, action.kwargs)
            continue
        if action.start_ms <= t_ms:
            _start_partial(cluster, action)
        break
    if cluster.now < t_ms:
        cluster.run(until=t_ms)
    return cluster
