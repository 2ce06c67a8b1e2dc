"""Fault bands (Jepsen's nemesis bands): the stretches of a run during which the network was
partitioned, a node was down, or the replica set had no primary (an election), read from the
trace's structured events, drawn as shaded bands behind any view whose x axis is time, with the
start of each partition marked and the labels stacked so they never collide.

Jepsen's ``perf`` graphs shade each nemesis interval behind the latency and rate plots, so a
reader sees at a glance which operations ran during a fault; this module does the same.
"""

from __future__ import annotations

from ._common import FONT_SIZE, GREY, OKABE_ITO

__all__ = ["fault_bands", "band_shapes", "band_annotations", "events_of", "BAND_COLOURS",
           "stack_labels", "clip"]

#: band kind -> fill colour (light, so bars and curves stay readable on top).
BAND_COLOURS = {"partition": "rgba(213,94,0,0.13)", "crash": "rgba(140,140,140,0.25)",
                "election": "rgba(230,159,0,0.16)"}
_EDGE = {"partition": OKABE_ITO["vermilion"], "crash": GREY, "election": OKABE_ITO["orange"]}

_NETWORK = ("partition", "isolate", "cut")


def events_of(source) -> list:
    """The trace events of ``source``: a Cluster (anything with ``sim.trace``), a trace, a list
    of ``TraceEvent``, or None (no events)."""
    if source is None:
        return []
    sim = getattr(source, "sim", None)
    if sim is not None and hasattr(sim, "trace"):
        source = sim.trace
    return list(source.events) if hasattr(source, "events") else list(source)


def fault_bands(source, *, until_ms=None) -> list[dict]:
    """The fault intervals of a run.

    Args:
        source: a Cluster, a trace or a list of ``TraceEvent`` (see :func:`events_of`).
        until_ms: where a fault still going on ends (default: the cluster's ``now``, else the
            last event's time).

    Returns:
        Dicts ``kind`` (``"partition"``, ``"crash"`` or ``"election"``), ``start_ms``,
        ``end_ms``, ``label`` (e.g. ``"partition n1 | n2,n3"``, ``"n2 down"``, ``"election"``),
        ``open`` (still going on at ``until_ms``), ``node`` (the crashed node, or None), sorted
        by start. A partition runs from the first ``partition``/``cut`` to the next ``heal``;
        a crash from ``crash`` to ``restart``; an election from the first ``role`` event with
        ``data["role"] == "candidate"`` while no primary is known to the next primary (MongoDB:
        the set has no primary, so no majority write, during an election).

    Example:
        >>> from caplab.kv import Cluster
        >>> c = Cluster(mode="cp", nodes=3, seed=1); c.run_for(1500)
        >>> [b["kind"] for b in fault_bands(c)][:1]
        ['election']
    """
    events = events_of(source)
    end = until_ms
    if end is None:
        now = getattr(source, "now", None)
        end = now if isinstance(now, int) else (events[-1].time_ms if events else 0)
    bands: list[dict] = []
    part = None          # [start, label] of the partition going on
    down: dict = {}      # node -> crash time
    election = None      # start of an election going on
    primary = None       # (node, term) of the primary last elected
    for e in events:
        kind = e.kind
        if kind in _NETWORK:
            label = e.detail or kind
            if part is None:
                part = [e.time_ms, label]
            elif label not in part[1]:
                part[1] += f"; {label}"
        elif kind == "heal" and part is not None:
            bands.append(_band("partition", part[0], e.time_ms, f"partition {part[1]}"))
            part = None
        elif kind == "crash" and e.node is not None:
            down.setdefault(e.node, e.time_ms)
            if primary is not None and e.node == primary[0]:
                primary = None
        elif kind == "restart" and e.node in down:
            bands.append(_band("crash", down.pop(e.node), e.time_ms, f"{e.node} down",
                               node=e.node))
        elif kind == "role":
            role = e.data.get("role") if e.data else None
            term = e.data.get("term", 0) if e.data else 0
            if role == "primary":
                primary = (e.node, term)
                if election is not None:
                    bands.append(_band("election", election, e.time_ms, "election"))
                    election = None
            elif role == "candidate" and election is None and (primary is None
                                                                or term > primary[1]):
                # A candidate of a newer term: the old primary is cut off or gone, and the
                # set has no primary a majority follows until someone wins (Raft section 5.2).
                election = e.time_ms
            elif primary is not None and e.node == primary[0]:
                primary = None
    if part is not None:
        bands.append(_band("partition", part[0], max(end, part[0]), f"partition {part[1]}",
                           open_=True))
    for node, start in sorted(down.items()):
        bands.append(_band("crash", start, max(end, start), f"{node} down", node=node,
                           open_=True))
    if election is not None:
        bands.append(_band("election", election, max(end, election), "election", open_=True))
    return sorted(bands, key=lambda b: (b["start_ms"], b["kind"]))


def _band(kind, start, end, label, *, node=None, open_=False) -> dict:
    return {"kind": kind, "start_ms": int(start), "end_ms": int(end), "label": label,
            "open": open_, "node": node}


def clip(bands, lo, hi) -> list[dict]:
    """The bands overlapping ``[lo, hi]``, cut to it (a band that began earlier must not
    stretch the time axis)."""
    out = []
    for b in bands:
        if b["end_ms"] < lo or b["start_ms"] > hi:
            continue
        # Plain ints: the bounds may come from pandas (numpy ints do not serialise to JSON).
        out.append({**b, "start_ms": int(max(b["start_ms"], lo)),
                    "end_ms": int(min(b["end_ms"], hi)),
                    "starts_here": bool(b["start_ms"] >= lo)})
    return out


def band_shapes(bands, *, xref="x", yref="paper", min_width=0.5) -> list[dict]:
    """Layout shapes for ``bands`` on a horizontal time axis: a shaded rectangle per band
    (named by its kind, at least ``min_width`` data units wide so a quick election still
    shows) and a solid line where each partition starts (``"partition starts"``).

    Example:
        >>> band_shapes([{"kind": "partition", "start_ms": 10, "end_ms": 20}])[0]["name"]
        'partition'
    """
    shapes = []
    for b in bands:
        shapes.append({"type": "rect", "name": b["kind"], "xref": xref, "yref": yref,
                       "x0": b["start_ms"], "x1": max(b["end_ms"], b["start_ms"] + min_width),
                       "y0": 0, "y1": 1, "fillcolor": BAND_COLOURS[b["kind"]],
                       "line": {"width": 0}, "layer": "below"})
        if b["kind"] == "partition" and b.get("starts_here", True):
            shapes.append({"type": "line", "name": "partition starts", "xref": xref,
                           "yref": yref, "x0": b["start_ms"], "x1": b["start_ms"], "y0": 0,
                           "y1": 1, "line": {"color": _EDGE["partition"], "width": 2},
                           "layer": "above"})
    return shapes


def stack_labels(items, *, span, width_px=900, char_px=None) -> list[int]:
    """A level (0, 1, 2, ...) per label so that no two labels on one level overlap.

    Args:
        items: ``(x, text)`` pairs, ``x`` where the label starts (data units).
        span: the x axis' extent in data units.
        width_px: the plot's width in px (to turn text length into data units).
        char_px: px per character (default from the label font size).

    Returns:
        The levels, in the order of ``items``.

    Example:
        >>> stack_labels([(0, "partition"), (1, "election"), (500, "n1 down")], span=1000)
        [0, 1, 0]
    """
    char_px = char_px or 0.6 * (FONT_SIZE - 2)
    per_px = max(span, 1) / max(width_px, 1)
    ends: list[float] = []     # per level, where its last label ends
    levels = []
    for x, text in items:
        width = (len(text) + 2) * char_px * per_px
        level = next((i for i, e in enumerate(ends) if x >= e), len(ends))
        if level == len(ends):
            ends.append(x + width)
        else:
            ends[level] = x + width
        levels.append(level)
    return levels


def band_annotations(bands, *, span, width_px=900, hi=None) -> list[dict]:
    """One label per band at the top of the plot, inside it, stacked (see
    :func:`stack_labels`) so labels of overlapping or close bands never collide. A label
    that would run past ``hi`` (the axis' end) is right-aligned to it instead.

    Example:
        >>> band_annotations([{"kind": "crash", "start_ms": 5, "end_ms": 9, "label": "n1 down"}],
        ...                  span=100)[0]["text"]
        'n1 down'
    """
    per_char = 0.6 * (FONT_SIZE - 2) * max(span, 1) / max(width_px, 1)
    # Where each label starts: at its band, or pulled left so it ends at the axis' end.
    starts = [b["start_ms"] if hi is None else
              min(b["start_ms"], hi - (len(b["label"]) + 2) * per_char) for b in bands]
    levels = stack_labels(list(zip(starts, (b["label"] for b in bands))), span=span,
                          width_px=width_px)
    notes = []
    for b, x, level in zip(bands, starts, levels):
        past = x < b["start_ms"]
        notes.append({"text": b["label"], "x": hi if past else b["start_ms"], "xref": "x",
                      "xanchor": "right" if past else "left",
                      "y": 1 - 0.075 * level, "yref": "paper", "yanchor": "top",
                      "showarrow": False, "font": {"size": FONT_SIZE - 3,
                                                   "color": _EDGE[b["kind"]]},
                      "bgcolor": "rgba(255,255,255,0.75)", "name": f"band {b['kind']}"})
    return notes
