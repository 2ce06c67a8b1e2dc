"""Where the cluster graph puts nodes and clients: a circle of nodes, or the leader at the
centre of the others (a star), each client just outside its node. Deterministic (the same
names give the same picture), and with no link hidden behind a node.
"""

from __future__ import annotations

import functools
import math

import networkx as nx

__all__ = ["node_positions", "away"]


def away(node_xy, client_xy) -> str:
    """The text position putting a client's label on the far side from its node."""
    if node_xy is None:
        return "bottom center"
    dx, dy = client_xy[0] - node_xy[0], client_xy[1] - node_xy[1]
    norm = math.hypot(dx, dy) or 1.0
    dx, dy = dx / norm, dy / norm
    vertical = "top" if dy > 0.3 else ("bottom" if dy < -0.3 else "middle")
    horizontal = "right" if dx > 0.3 else ("left" if dx < -0.3 else "center")
    if vertical == "middle" and horizontal == "center":
        vertical = "bottom"
    return f"{vertical} {horizontal}"


def node_positions(nodes, *, primary=None, layout="ring", clients=None) -> dict:
    """Deterministic positions: a circle of nodes (``"ring"``), or the leader at the centre
    (``"star"``), as the system's description says (``Description.layout``).

    Args:
        nodes: node names, in order (the circle starts at 12 o'clock and goes clockwise).
        primary: the leader's name (drawn at the centre in a star), or None.
        layout: ``"star"`` or ``"ring"``.
        clients: ``{client: near_node}``; each client is drawn just outside its node.

    Returns:
        ``{name: (x, y)}`` for nodes and clients.

    Example:
        >>> node_positions(["n1", "n2", "n3"], primary="n1", layout="star")["n1"]
        (0.0, 0.0)
    """
    nodes = list(nodes)
    centre = primary if (layout == "star" and primary in nodes and len(nodes) > 2) else None
    around = [n for n in nodes if n != centre]
    pos: dict[str, tuple[float, float]] = {}
    if len(around) == 1:
        pos[around[0]] = (0.0, 1.0)
    elif around:
        pos.update(zip(around, _circle(len(around), centre is not None)))
    if centre is not None:
        pos[centre] = (0.0, 0.0)
    by_node: dict[str, list[str]] = {}
    for client, near in (clients or {}).items():
        by_node.setdefault(near, []).append(client)
    for near, names in by_node.items():
        if near not in pos:
            continue
        x, y = pos[near]
        dist = 0.38
        if near == centre:   # the centre node: in the widest gap between its spokes
            base = _widest_gap([math.atan2(py - y, px - x) for n, (px, py) in pos.items()
                                if n in around])
            if len(around) % 2 == 0:
                dist = 0.62   # in the empty corner, past the link that spans it
        else:
            base = math.atan2(y, x)
        for i, client in enumerate(names):
            angle = base + (i - (len(names) - 1) / 2) * 0.35
            pos[client] = (round(x + dist * math.cos(angle), 6),
                           round(y + dist * math.sin(angle), 6))
    return pos


@functools.lru_cache(maxsize=64)
def _circle(k: int, centred: bool) -> tuple[tuple[float, float], ...]:
    """``k`` points on a circle, clockwise from 12 o'clock (networkx's circular layout, turned).

    With a node at the centre (CP) an even number of secondaries on a regular circle would hide
    links: two opposite secondaries' link runs straight through the primary (with three nodes
    all of them sit on one line). So an even number of secondaries takes the places of a regular
    polygon with one corner more, an odd number, leaving the corner at 6 o'clock empty (the
    clients near the primary go there). No link of a regular odd polygon passes through its
    centre, nor through another corner.
    """
    slots = k + 1 if (centred and k % 2 == 0) else k
    base = nx.circular_layout(range(slots))   # from 3 o'clock, counter-clockwise
    # Turn so slot 0 is at 12 o'clock (odd k) or 6 o'clock (the empty slot), then mirror
    # (x, y) -> (y, x) to go clockwise.
    turn = math.pi if slots != k else 0.0
    c, s = math.cos(turn), math.sin(turn)
    points = [(round(float(x * s + y * c), 6), round(float(x * c - y * s), 6))
              for x, y in (base[i] for i in range(slots))]
    if slots != k:   # drop the empty corner; start again at the first one after 12 o'clock
        points = sorted(points[1:], key=lambda p: math.atan2(p[0], p[1]) % (2 * math.pi))
    return tuple(points)


def _widest_gap(angles) -> float:
    """The direction in the middle of the widest gap between ``angles`` (radians)."""
    if not angles:
        return -math.pi / 2
    a = sorted(x % (2 * math.pi) for x in angles)
    gaps = [((a[(i + 1) % len(a)] - a[i]) % (2 * math.pi) or 2 * math.pi, a[i])
            for i in range(len(a))]
    width, start = max(gaps)
    return start + width / 2


