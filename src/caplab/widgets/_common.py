"""Shared pieces of the panels: the status area that shows callback errors, in-place figure
widgets, a readable event log and the checker summary as a small HTML table.

Nothing here knows a protocol; the panels only wire widgets to :mod:`caplab.kv` actions and to
the views of :mod:`caplab.viz`.
"""

from __future__ import annotations

import functools
import html
import traceback

import ipywidgets as w

from ..errors import CaplabError

__all__ = ["Panel", "Status", "figure_widget", "redraw", "sync_for_display", "format_event",
           "event_log_html", "summary_html", "PANEL_CSS", "panel_style"]

#: Larger fonts and controls, readable on a projector (applied to every panel's root box).
PANEL_CSS = """
<style>
.caplab-panel { --jp-widgets-font-size: 16px; --jp-widgets-inline-height: 34px;
                --jp-widgets-inline-label-width: 130px; font-size: 16px; }
.caplab-panel .widget-button, .caplab-panel .widget-toggle-button { font-size: 16px; }
.caplab-panel h3 { margin: 4px 0 2px 0; font-size: 20px; }
.caplab-panel table.caplab-table { border-collapse: collapse; font-size: 15px; }
.caplab-panel table.caplab-table td, .caplab-panel table.caplab-table th {
    border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; }
.caplab-panel .caplab-log { font-family: monospace; font-size: 14px; white-space: pre-wrap;
                            overflow-wrap: anywhere; line-height: 1.35; }
.caplab-panel .caplab-sides .widget-toggle-button.mod-active,
.caplab-panel .caplab-sides button.mod-active { background-color: #1f4e79; color: #ffffff;
                                                font-weight: 700; }
.caplab-projector { --jp-widgets-font-size: 24px; --jp-widgets-inline-height: 44px;
                    font-size: 24px; }
.caplab-projector .widget-button, .caplab-projector .widget-toggle-button,
.caplab-projector .widget-label, .caplab-projector .widget-html-content,
.caplab-projector input, .caplab-projector select,
.caplab-projector .lm-TabBar-tabLabel { font-size: 24px; }
.caplab-projector h3 { font-size: 28px; }
.caplab-projector table.caplab-table, .caplab-projector .caplab-log { font-size: 24px; }
.caplab-panel .caplab-past { background: #fff3cd; border: 2px solid #b36b00; color: #5c3700;
                             padding: 6px 10px; border-radius: 4px; font-size: 16px; }
</style>
"""

_VERDICT_COLOURS = {"ok": "#007a4d", "linearizable": "#007a4d", "converged": "#007a4d",
                    "not linearizable": "#c0392b", "violated": "#c0392b", "stale": "#c0392b",
                    "lost": "#c0392b", "unknown": "#b36b00"}


def panel_style() -> w.HTML:
    """The stylesheet widget; a panel includes it so its fonts are large wherever it is shown."""
    return w.HTML(PANEL_CSS, layout=w.Layout(height="0px", margin="0", padding="0"))


class Status:
    """One line of feedback in a panel: what the last action did, or the error it raised.

    ``guard(fn)`` wraps a widget callback so that an exception is shown here in red, never
    swallowed: a caplab error (bad input) shows the library's own message; any other exception
    shows its type, message and the end of its traceback.
    """

    def __init__(self) -> None:
        self.widget = w.HTML(value="", layout=w.Layout(min_height="28px", width="100%"))
        self.widget.add_class("caplab-status")
        self.error: BaseException | None = None

    @property
    def text(self) -> str:
        """The status text without markup (for tests)."""
        import re
        return html.unescape(re.sub(r"<[^>]+>", "", self.widget.value))

    def info(self, message: str) -> None:
        self.error = None
        self.widget.value = (f"<span style='color:#1f4e79' data-status='ok'>"
                             f"{html.escape(message)}</span>")

    def show_error(self, exc: BaseException) -> None:
        self.error = exc
        name = type(exc).__name__
        body = f"<b>{html.escape(name)}</b>: {html.escape(str(exc))}"
        if not isinstance(exc, CaplabError):
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
            body += (f"<details><summary>traceback</summary><pre>{html.escape(tb)}</pre>"
                     f"</details>")
        self.widget.value = (f"<div style='color:#c0392b;font-weight:500' data-status='error'>"
                             f"{body}</div>")

    def guard(self, fn):
        """Wrap a callback: its exception is shown in this status area (and kept in ``error``)."""
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:   # shown to the user, never swallowed
                self.show_error(exc)
                return None
        return wrapper


class Panel:
    """What every panel shares: its root box ``_root`` and its figures (``_figure_widgets()``),
    displayed so that a browser view created now starts from the figures' current state."""

    _root = None

    def _figure_widgets(self):
        return [f for f in getattr(self, "figures", {}).values() if f is not None]

    @property
    def widget(self):
        """The panel as one ipywidgets box (display it, or put it in your own layout)."""
        sync_for_display(self._figure_widgets())
        return self._root

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def figure_widget(fig):
    """A ``go.FigureWidget`` initialised from a built figure (drawn once, then updated).

    It is a :class:`caplab.widgets._figure.Figure`, which loads plotly's browser code once per
    page instead of once per figure (see that module for why this matters), and its plot takes
    the width of its box (plotly's ``autosize`` and ``responsive``, kept on every redraw)."""
    from ._figure import Figure
    widget = Figure(fig)
    widget.layout.autosize = True
    widget._config = {**(widget._config or {}), "responsive": True}
    return widget


def sync_for_display(widgets) -> None:
    """Copy each FigureWidget's current figure into the state a new browser view starts from.

    plotly refreshes that state only when a FigureWidget is displayed on its own; inside a
    VBox, a view created later would start from the figure as it was at construction (in
    JupyterLab it rendered empty), so a panel calls this whenever it is displayed.
    """
    from copy import deepcopy
    for fig in widgets:
        fig._widget_layout = deepcopy(fig._layout_obj._props)
        fig._widget_data = deepcopy(fig._data)


def redraw(widget, new_fig) -> None:
    """Update ``widget`` in place to show ``new_fig`` (one ``batch_update``, never rebuilt)."""
    from ..viz import update_figure
    update_figure(widget, new_fig)


def _kind(msg) -> str:
    return getattr(msg, "kind", type(msg).__name__)


def format_event(e) -> str:
    """One trace event as a readable line: ``'  1520 ms  n4 -> n1  Heartbeat'``."""
    t = f"{e.time_ms:>7} ms  "
    if e.kind == "send":
        return f"{t}{e.node} → {e.peer}  sends {_kind(e.msg)}"
    if e.kind == "deliver":
        return f"{t}{e.peer} ← {e.node}  receives {_kind(e.msg)}"
    if e.kind == "drop":
        return f"{t}{e.node} → {e.peer}  {_kind(e.msg)} DROPPED ({e.detail})"
    if e.kind == "duplicate":
        return f"{t}{e.node} → {e.peer}  {_kind(e.msg)} duplicated"
    who = " ".join(str(x) for x in (e.node, e.peer) if x)
    detail = "" if e.detail is None else str(e.detail)
    return f"{t}{e.kind.upper():<9} {who}{'  ' if who and detail else ''}{detail}"


_MESSAGE_KINDS = frozenset({"send", "deliver", "drop", "duplicate"})
_QUIET_KINDS = frozenset({"timer", "latency", "loss", "oplog"})  # oplog: a line per entry


_DROP_REASONS = {"partition": "by the partition", "crashed": "at a crashed node",
                 "loss": "by message loss", "endpoint replaced": "at a replaced node"}


class _DropRun:
    """Consecutive dropped messages between two shown events, shown as one count line."""

    def __init__(self) -> None:
        self.first_ms = self.last_ms = None
        self.reasons: dict = {}

    def add(self, e) -> None:
        self.first_ms = e.time_ms if self.first_ms is None else min(self.first_ms, e.time_ms)
        self.last_ms = e.time_ms if self.last_ms is None else max(self.last_ms, e.time_ms)
        reason = str(e.detail)
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def line(self) -> str:
        n = sum(self.reasons.values())
        parts = [f"{k} {_DROP_REASONS.get(r, f'({r})')}" for r, k in
                 sorted(self.reasons.items(), key=lambda rk: (-rk[1], rk[0]))]
        what = (f"{n} message{'s' if n != 1 else ''} dropped {parts[0].split(' ', 1)[1]}"
                if len(parts) == 1 else f"{n} messages dropped: {', '.join(parts)}")
        until = "" if self.first_ms == self.last_ms else f" until {self.last_ms} ms"
        return f"{self.first_ms:>7} ms  ({what}{until})"


def event_log_html(events, *, last: int = 14, messages: bool = False) -> str:
    """The last ``last`` trace events as a monospace block (timers always left out).

    With ``messages=True`` every message event is shown: sends, deliveries, duplicates and
    drops. With ``messages=False`` they are left out, except that the messages dropped between
    two shown events are counted on one line, e.g. ``(37 messages dropped by the partition
    until 4400 ms)``: a partition drops heartbeats by the dozen, and one line per drop would
    push the elections out of the log.
    """
    chosen: list = []
    for e in reversed(events):
        if e.kind in _QUIET_KINDS:
            continue
        if not messages and e.kind in ("send", "deliver", "duplicate"):
            continue
        if not messages and e.kind == "drop":
            if chosen and isinstance(chosen[-1], _DropRun):
                chosen[-1].add(e)
                continue
            item = _DropRun()
            item.add(e)
        else:
            item = e
        if len(chosen) >= last:
            break
        chosen.append(item)
    lines = [html.escape(item.line() if isinstance(item, _DropRun) else format_event(item))
             for item in reversed(chosen)]
    if not lines:
        lines = ["(nothing yet)"]
    return "<div class='caplab-log'>" + "\n".join(lines) + "</div>"


def _valid_colour(row) -> str:
    """Green when the check holds, red when violated, amber when unknown (no data, or a
    search budget ran out), from the row's ``valid`` (older tables: from the verdict word)."""
    if "valid" not in row:
        return _VERDICT_COLOURS.get(str(row.get("verdict")), "#333333")
    valid = row["valid"]
    if valid is None or valid != valid:  # None, or NaN in a pandas column
        return "#b36b00"
    return "#007a4d" if bool(valid) else "#c0392b"


def _steps_hover(steps) -> str:
    """The search-step count of a searching checker, for the detail's hover text."""
    if steps is None or steps != steps:  # None, or NaN in a pandas column
        return ""
    steps = int(steps)
    return f"the checker took {steps} search step{'' if steps == 1 else 's'}"


def summary_html(frame) -> str:
    """The ``caplab.check.summarize`` table as small HTML, verdicts coloured by the ``valid``
    column (a searching checker's ``steps`` go in the detail's hover text)."""
    rows = []
    for r in frame.to_dict("records"):
        colour = _valid_colour(r)
        hover = _steps_hover(r.get("steps"))
        title = f" title='{html.escape(hover)}'" if hover else ""
        rows.append(f"<tr><td>{html.escape(str(r['check']))}</td>"
                    f"<td style='color:{colour};font-weight:600'>"
                    f"{html.escape(str(r['verdict']))}</td><td>{r['count']}</td>"
                    f"<td{title}>{html.escape(str(r['detail']))}</td></tr>")
    return ("<table class='caplab-table'><tr><th>check</th><th>verdict</th><th>#</th>"
            "<th>detail</th></tr>" + "".join(rows) + "</table>")
