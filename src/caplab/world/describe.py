"""What a system tells views, panels and course code about itself: roles, options, presets.

A view never asks which system it draws; it reads a :class:`Description`. Each system's
backend builds one from its live state (``describe()``), so presets such as "isolate primary"
name the current primary.

Example:
    >>> d = Description(system="kv", mode="cp", title="replica set",
    ...                 roles={"primary": Role("primary", "#0072B2", symbol="star", leader=True)},
    ...                 options=(Option("w", "majority", "put", "write concern",
    ...                                 choices=("majority", 1, 2, 3)),))
    >>> [o.name for o in d.options_for("put")]
    ['w']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Role", "Option", "Description", "DEFAULT_ROLES", "partition_presets"]


@dataclass(frozen=True)
class Role:
    """A role a node can have: how it is named, coloured and drawn.

    ``leader`` marks the role that accepts writes (a primary): views draw it by shape and label,
    not by colour alone.
    """

    name: str
    colour: str
    symbol: str = "circle"
    label: str | None = None
    leader: bool = False

    @property
    def text(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Option:
    """One option: its name, default, where it applies and what values it allows.

    ``applies_to`` is ``"system"`` (given when the system is built) or an operation name such
    as ``"put"`` or ``"get"`` (given per call). ``choices`` lists discrete values for a form's
    dropdown (None: free input); ``allowed`` says in words what is allowed.
    """

    name: str
    default: Any
    applies_to: str
    doc: str = ""
    choices: tuple | None = None
    allowed: str = ""


#: roles every system shares: a node that is down, and a node with no special role.
DEFAULT_ROLES = {
    "down": Role("down", "#bbbbbb", symbol="x", label="down"),
    "replica": Role("replica", "#444444"),
}


@dataclass(frozen=True)
class Description:
    """A system's self-description (see the module docstring).

    Attributes:
        system: the family, e.g. ``"kv"``.
        mode: the variant within the family, e.g. ``"cp"``, ``"ap"``, ``"ca"``.
        title: one line for headers.
        roles: role name -> :class:`Role` (``down`` and ``replica`` are added if missing).
        options: every option, system-wide and per operation.
        presets: fault presets for panels: label -> ``(action, args)`` where action is a
            world fault (``"isolate"``, ``"partition"``, ``"heal"``, ``"crash"``) and args its
            arguments (a node name, a tuple of groups, or None).
        warmup_ms: how long to run a fresh system before it serves (a first election).
        layout: how views place nodes: ``"star"`` (the leader in the centre) or ``"ring"``.
        strong_read: get options for the strongest read a panel makes after a heal, the final
            state the lost-write check reads (CP: majority read concern; AP: consistency all).
    """

    system: str
    mode: str
    title: str
    roles: dict = field(default_factory=dict)
    options: tuple = ()
    presets: dict = field(default_factory=dict)
    warmup_ms: int = 0
    layout: str = "ring"
    strong_read: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        merged = dict(DEFAULT_ROLES)
        merged.update(self.roles)
        object.__setattr__(self, "roles", merged)

    def options_for(self, applies_to: str) -> tuple:
        """The options that apply to ``applies_to`` (``"system"``, ``"put"``, ``"get"`` ...)."""
        return tuple(o for o in self.options if o.applies_to == applies_to)

    def role(self, name: str) -> Role:
        """The :class:`Role` called ``name`` (an unknown role is drawn as a plain replica)."""
        return self.roles.get(name) or Role(name, self.roles["replica"].colour)

    @property
    def leader_roles(self) -> tuple:
        return tuple(r.name for r in self.roles.values() if r.leader)

    @property
    def leader_text(self) -> str | None:
        """How the leader role is named in labels (``"primary"``), or None without a leader."""
        leaders = [r for r in self.roles.values() if r.leader]
        return leaders[0].text if leaders else None


def partition_presets(nodes: list[str], leader: str | None = None) -> dict:
    """The usual fault presets for ``nodes``: isolate one node, split a minority off, heal.

    With a ``leader`` (a primary), the isolated node and the minority hold it: the interesting
    case, where the leader must step down. Without one, the first node is isolated.

    Example:
        >>> partition_presets(["n1", "n2", "n3"], leader="n2")["split 1|2"]
        ('partition', (['n2'], ['n1', 'n3']))
    """
    nodes = list(nodes)
    presets = {}
    if leader is not None and leader in nodes:
        presets["isolate primary"] = ("isolate", leader)
    elif nodes:
        presets[f"isolate {nodes[0]}"] = ("isolate", nodes[0])
    m = (len(nodes) - 1) // 2
    if m >= 1:
        start = nodes.index(leader) if leader in nodes else 0
        order = nodes[start:] + nodes[:start]
        minority = [n for n in nodes if n in order[:m]]
        majority = [n for n in nodes if n not in minority]
        presets[f"split {m}|{len(nodes) - m}"] = ("partition", (minority, majority))
    presets["heal"] = ("heal", None)
    return presets
