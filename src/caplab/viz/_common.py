"""Shared pieces of the views: the colour-blind-safe palette, projector-sized fonts, a fast
figure constructor, and small helpers for reading clusters, histories and traces as data.

The palette is Okabe & Ito's ("Color Universal Design", 2008): eight colours that stay
distinguishable under the common colour-vision deficiencies. Every encoding that matters is also
carried by something other than hue (a dash, a symbol, a label), so a grey-scale projector works.
"""

from __future__ import annotations

import math
import re
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["OKABE_ITO", "ROLE_COLOURS", "OUTCOME_COLOURS", "NODE_COLOURS", "CUT_COLOUR",
           "VIOLATION_COLOUR", "MESSAGE_COLOUR", "FONT_SIZE", "base_layout", "make_figure",
           "node_colour", "natural_key", "short", "op_label", "bad_ops_of", "wrap_hover"]

#: Okabe-Ito, by name.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermilion": "#D55E00", "reddish purple": "#CC79A7",
}
GREY = "#8C8C8C"

#: node role -> marker colour (cluster graph). Unknown roles get ``ROLE_COLOURS["other"]``.
ROLE_COLOURS = {
    "primary": OKABE_ITO["blue"],
    "secondary": OKABE_ITO["sky blue"],
    "candidate": OKABE_ITO["orange"],
    "replica": OKABE_ITO["bluish green"],
    "arbiter": "#999999",      # votes, holds no data: drawn hollow by its system
    "down": GREY,
    "other": OKABE_ITO["reddish purple"],
}

#: operation outcome -> bar colour (timeline, comparison bars).
OUTCOME_COLOURS = {
    "ok": OKABE_ITO["bluish green"],
    "fail": OKABE_ITO["vermilion"],
    "info": OKABE_ITO["orange"],
}

#: one colour per physical node (ring view), in node order; 9+ nodes reuse with a darker tone.
NODE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
                "#000000", "#7F7F7F", "#004C7A", "#9A6A00", "#006B4F"]

CUT_COLOUR = OKABE_ITO["vermilion"]
VIOLATION_COLOUR = OKABE_ITO["reddish purple"]
MESSAGE_COLOUR = OKABE_ITO["black"]
LINK_COLOUR = "#B0B0B0"

#: base font size in px: readable from the back of a lecture room.
FONT_SIZE = 16


def base_layout(title: str, **extra) -> dict:
    """The layout every view starts from (white template, large fonts, no stale shapes)."""
    layout = {
        "template": "plotly_white",
        "title": {"text": title, "font": {"size": FONT_SIZE + 4}, "x": 0.01, "xanchor": "left"},
        "font": {"size": FONT_SIZE, "family": "Liberation Sans, Arial, sans-serif"},
        "hoverlabel": {"font": {"size": FONT_SIZE}},
        "legend": {"font": {"size": FONT_SIZE - 2}},
        "margin": {"l": 60, "r": 20, "t": 70, "b": 50},
        # Always present (possibly empty) so update_figure() overwrites old ones.
        "annotations": [],
        "shapes": [],
    }
    layout.update(extra)
    return layout


def make_figure(data: list[dict], layout: dict) -> go.Figure:
    """A ``go.Figure`` from plain trace dicts, without plotly's per-property validation.

    Validation costs about two thirds of the build time of a figure; the builders produce only
    known properties, and the test suite re-validates every figure (``go.Figure(fig.to_dict())``).
    """
    layout = dict(layout)
    template = layout.pop("template", None)
    fig = go.Figure(data=data, layout=layout, _validate=False)
    if template is not None:
        # Set through the validator so the figure holds a real Template (to_html needs it).
        fig.layout.template = pio.templates[template] if isinstance(template, str) else template
    return fig


def node_colour(index: int) -> str:
    """The colour of the ``index``-th node (ring view)."""
    return NODE_COLOURS[index % len(NODE_COLOURS)]


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: Any) -> tuple:
    """Sort key putting ``n2`` before ``n10``."""
    return tuple(int(p) if p.isdigit() else p for p in _DIGITS.split(str(name)))


def short(value: Any, width: int = 14) -> str:
    """A value as a short label (``None`` as ``∅``, long reprs cut with an ellipsis)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "∅"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def op_label(op: str, key: Any, value: Any, outcome: str | None) -> str:
    """Porcupine-style label: ``put(x,1)``, ``get(x)→1``, ``cas(x,1→2)``."""
    if op == "get":
        return f"get({key})→{short(value)}" if outcome == "ok" else f"get({key})"
    if op == "cas" and isinstance(value, (tuple, list)) and len(value) == 2:
        return f"cas({key},{short(value[0])}→{short(value[1])})"
    return f"{op}({key},{short(value)})"


def bad_ops_of(check_result) -> dict:
    """Op ids a checker flagged -> a reason (text), from a result, a list or a dict.

    Accepts any :class:`caplab.check.CheckResult` (its ``offending`` ids with their
    ``reasons``, whichever checker made it), a dict ``{op_id: reason}``, or a plain iterable
    of op ids.
    """
    if check_result is None:
        return {}
    if isinstance(check_result, dict):
        return {k: str(v) for k, v in check_result.items()}
    if hasattr(check_result, "reasons_by_op"):
        return {op: str(reason) for op, reason in check_result.reasons_by_op().items()}
    return {op_id: "flagged" for op_id in check_result}


def wrap_hover(text: str, width: int = 70) -> str:
    """Break long hover text into lines (plotly hover boxes do not wrap)."""
    lines = []
    for para in str(text).split("\n"):
        while len(para) > width:
            cut = para.rfind(" ", 0, width)
            cut = cut if cut > 0 else width
            lines.append(para[:cut])
            para = para[cut:].lstrip()
        lines.append(para)
    return "<br>".join(lines)
