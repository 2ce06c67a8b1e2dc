"""A Porcupine-style counterexample, stepped through: the operations of the violating key in
client lanes, the longest linearizable prefix placed one operation at a time at its
linearization point with the model's state after it, and at the last step the operations that
cannot go next, with why.

Porcupine's visualiser (github.com/anishathalye/porcupine, ``visualization.go``) shows the
same: each partial linearization as points on the operations' bars and the state after each
one; it is how "illegal" becomes an explanation. The data comes from the checker's result
(``prefix``, ``points``, ``states``, ``offending`` and ``reasons`` of
:class:`caplab.check.LinearizabilityResult`); nothing is searched here.

Example:
    >>> from caplab.check import check_linearizability
    >>> from caplab.course.checking import tiny_history
    >>> h = tiny_history("inversion")
    >>> r = check_linearizability(h)
    >>> d = counterexample_data(h, r, step=2)
    >>> [s["state"] for s in d["steps"]], d["final"]
    (['1', '1'], False)
"""

from __future__ import annotations

from ..errors import ConfigError
from ._common import (FONT_SIZE, GREY, OKABE_ITO, VIOLATION_COLOUR, base_layout, make_figure,
                      op_label, short, wrap_hover)

__all__ = ["counterexample", "counterexample_data", "step_count"]

_PLACED = OKABE_ITO["bluish green"]
_CURRENT = OKABE_ITO["blue"]


def _records(history) -> list[dict]:
    if hasattr(history, "records") and callable(history.records):
        return list(history.records())
    if hasattr(history, "to_dict") and hasattr(history, "columns"):
        return history.to_dict("records")
    return [dict(r) for r in history]


def step_count(result) -> int:
    """How many steps a stepper shows for ``result``: the initial state, one per placed
    operation, and for a violation a last step with the operations that cannot go next."""
    order = result.prefix if result.valid is not True else result.order
    return 1 + len(order) + (0 if result.valid is True else 1)


def counterexample_data(history, result, *, step: int | None = None) -> dict:
    """What :func:`counterexample` draws at ``step``, as plain data.

    Args:
        history: the checked history (a ``History``, a list of dicts or a DataFrame).
        result: its :class:`~caplab.check.LinearizabilityResult`.
        step: 0 (nothing placed yet) to ``step_count(result) - 1`` (default: the last).

    Returns:
        A dict: ``key``; ``ops`` (dicts ``id, client, lane, start_ms, end_ms, open, label,
        status`` with status ``placed``, ``current``, ``pending`` or ``stuck``, and ``point_ms``
        and ``order`` for placed ones); ``steps`` (dicts ``id, point_ms, state, label`` for the
        operations placed so far); ``state`` (the model's state now); ``initial_state``;
        ``final`` (True at the last step of a violation); ``stuck`` (dicts ``id, reason``);
        ``step``, ``step_count``, ``verdict``, ``clients``, ``end_ms``.

    Raises:
        ConfigError: ``step`` outside ``0..step_count(result) - 1``.
    """
    count = step_count(result)
    step = count - 1 if step is None else step
    if not 0 <= step < count:
        raise ConfigError(f"step must be in 0..{count - 1}, got {step!r}")
    order = tuple(result.prefix if result.valid is not True else result.order)
    points, states = tuple(result.points), tuple(result.states)
    key = result.key
    rows = [r for r in _records(history) if key is None or r.get("key") == key]
    placed_n = min(step, len(order))
    final = result.valid is not True and step == count - 1
    bad = set(result.offending) if final else set()
    rank = {op_id: i for i, op_id in enumerate(order[:placed_n])}
    clients = sorted({str(r["client"]) for r in rows})
    lane = {c: len(clients) - 1 - i for i, c in enumerate(clients)}
    ends = [r["complete_ms"] for r in rows if r.get("complete_ms") is not None]
    end_ms = max(ends + [r["invoke_ms"] for r in rows] + [0])
    span = max(1, end_ms - min([r["invoke_ms"] for r in rows] or [0]))
    ops = []
    for r in rows:
        opened = r.get("outcome") == "info" or r.get("complete_ms") is None
        op_id = r.get("id")
        status = ("current" if rank.get(op_id) == placed_n - 1 else "placed") \
            if op_id in rank else "stuck" if op_id in bad else "pending"
        ops.append({"id": op_id, "client": str(r["client"]), "lane": lane[str(r["client"])],
                    "start_ms": r["invoke_ms"],
                    "end_ms": end_ms + span * 0.08 if opened else r["complete_ms"],
                    "open": opened, "status": status,
                    "label": op_label(r["op"], r.get("key"), r.get("value"), r.get("outcome")),
                    "point_ms": points[rank[op_id]] if op_id in rank else None,
                    "order": rank[op_id] + 1 if op_id in rank else None})
    labels = {o["id"]: o["label"] for o in ops}
    steps = [{"id": order[i], "point_ms": points[i], "state": states[i],
              "label": labels.get(order[i], str(order[i]))} for i in range(placed_n)]
    state = states[placed_n - 1] if placed_n else result.details.get("initial_state", "")
    reasons = dict(zip(result.offending, result.reasons))
    stuck = [{"id": i, "reason": reasons.get(i, "")} for i in result.offending] if final else []
    return {"key": key, "ops": ops, "steps": steps, "state": state,
            "initial_state": result.details.get("initial_state", ""), "final": final,
            "stuck": stuck, "step": step, "step_count": count, "verdict": result.verdict,
            "clients": clients, "end_ms": end_ms, "span": span}


_STYLE = {"pending": ("not placed yet", GREY, 6), "placed": ("placed", _PLACED, 9),
          "current": ("placed at this step", _CURRENT, 12),
          "stuck": ("cannot go next", VIOLATION_COLOUR, 12)}


def _bars(d) -> list[dict]:
    traces = []
    for status, (name, colour, width) in _STYLE.items():
        xs, ys, hover = [], [], []
        for o in d["ops"]:
            if o["status"] != status:
                continue
            xs += [o["start_ms"], o["end_ms"], None]
            ys += [o["lane"], o["lane"], None]
            hover += [f"{o['client']}: {o['label']}" + (" (may take effect any time after its "
                                                       "invocation, or never)" if o["open"]
                                                       else "")] * 3
        traces.append({"type": "scatter", "name": name, "mode": "lines", "x": xs, "y": ys,
                       "line": {"color": colour, "width": width}, "hovertext": hover,
                       "hoverinfo": "text", "connectgaps": False})
    # Label the operations that matter now and those wide enough to hold a label (hover shows
    # every one); alternate heights along a lane so neighbouring labels do not collide.
    labels = sorted((o for o in d["ops"] if o["status"] != "pending"
                     or o["end_ms"] - o["start_ms"] >= 0.08 * d["span"]),
                    key=lambda o: (o["lane"], o["start_ms"]))
    lift = [0.2 + 0.17 * (i % 2 == 1 and labels[i - 1]["lane"] == o["lane"])
            for i, o in enumerate(labels)]
    traces.append({"type": "scatter", "name": "operations", "mode": "text", "showlegend": False,
                   "x": [(o["start_ms"] + o["end_ms"]) / 2 for o in labels],
                   "y": [o["lane"] + up for o, up in zip(labels, lift)],
                   "text": [o["label"] for o in labels], "hoverinfo": "skip",
                   "textfont": {"size": FONT_SIZE - 3}})
    return traces


def _points(d) -> list[dict]:
    placed = sorted((o for o in d["ops"] if o["order"] is not None), key=lambda o: o["order"])
    states = {s["id"]: s["state"] for s in d["steps"]}
    return [{"type": "scatter", "name": "linearization point", "mode": "markers+text",
             "x": [o["point_ms"] for o in placed], "y": [o["lane"] for o in placed],
             "text": [f"#{o['order']}" for o in placed], "textposition": "bottom center",
             "textfont": {"size": FONT_SIZE - 3},
             "customdata": [o["id"] for o in placed],
             "hovertext": [f"#{o['order']} {o['label']} takes effect at {o['point_ms']}; "
                           f"state becomes {states[o['id']]}" for o in placed],
             "hoverinfo": "text",
             "marker": {"symbol": "line-ns", "size": 26, "color": "#000000",
                        "line": {"width": 3, "color": "#000000"}}}]


def _caption(d) -> str:
    if d["step"] == 0:
        return f"step 0: nothing placed yet; the state is {d['initial_state']}"
    if d["final"]:
        return (f"step {d['step']}: after {len(d['steps'])} placed, no pending operation can "
                f"go next (state {d['state']})")
    last = d["steps"][-1]
    return (f"step {d['step']}: #{len(d['steps'])} {last['label']} at {last['point_ms']}; "
            f"state {d['state']}")


def counterexample(history, result, *, step: int | None = None, data: dict | None = None):
    """Draw a linearizability verdict at one step of its longest linearizable prefix.

    Args:
        history, result, step: see :func:`counterexample_data`.
        data: :func:`counterexample_data`'s output, to draw without recomputing.

    Returns:
        A ``go.Figure`` (x: time, y: one lane per client) with traces ``not placed yet``,
        ``placed``, ``placed at this step``, ``cannot go next`` (bars), ``operations`` (labels)
        and ``linearization point`` (ticks numbered in the order of the prefix); the title says
        the step and the model's state, and at the last step of a violation the reasons are
        listed under the plot.

    Example:
        >>> counterexample(h, check_linearizability(h), step=1).show()   # doctest: +SKIP
    """
    d = data if data is not None else counterexample_data(history, result, step=step)
    k = len(d["clients"])
    notes = []
    if d["final"]:
        for i, s in enumerate(d["stuck"]):
            notes.append({"xref": "paper", "yref": "paper", "x": 0, "y": -0.16 - 0.09 * i,
                          "xanchor": "left", "yanchor": "top", "showarrow": False,
                          "align": "left", "font": {"size": FONT_SIZE - 3,
                                                    "color": VIOLATION_COLOUR},
                          "text": wrap_hover(short(s["reason"], 170), 110)})
    where = "" if d["key"] is None else f" · key {d['key']!r}"
    layout = base_layout(
        f"{d['verdict']}{where} · {_caption(d)}", annotations=notes,
        height=240 + 60 * k + 50 * len(notes),
        margin={"l": 90, "r": 20, "t": 70, "b": 70 + 45 * len(notes)},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0,
                "font": {"size": FONT_SIZE - 3}},
        xaxis={"title": {"text": "time (ms)"}, "zeroline": False,
               "range": [min([o["start_ms"] for o in d["ops"]] or [0]) - d["span"] * 0.04,
                         d["end_ms"] + d["span"] * 0.12]},
        yaxis={"tickvals": list(range(k)), "ticktext": list(reversed(d["clients"])),
               "range": [-0.6, k - 0.3], "zeroline": False, "showgrid": False})
    layout["title"]["font"] = {"size": FONT_SIZE + 1}
    return make_figure(_bars(d) + _points(d), layout)
