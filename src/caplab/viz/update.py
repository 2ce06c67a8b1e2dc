"""Redraw in place: copy a freshly built figure into an existing one (a ``go.FigureWidget`` in a
panel) trace by trace, so the browser updates instead of re-creating the plot.
"""

from __future__ import annotations

__all__ = ["update_figure"]


def update_figure(fig, new_fig):
    """Make ``fig`` show what ``new_fig`` shows, changing it in place in one batch.

    Traces are matched by position: matching traces of the same type are updated property by
    property, only where they differ (properties ``new_fig`` lacks are reset); extra traces are
    removed and missing ones added; a trace whose type changed is replaced. The layout is
    overwritten key by key where it differs (keys ``new_fig`` lacks are kept; the builders always
    set ``annotations`` and ``shapes``, so stale ones disappear).

    Args:
        fig: the figure to change (``go.Figure`` or ``go.FigureWidget``).
        new_fig: the figure to copy from (e.g. ``cluster_graph(c)``).

    Returns:
        ``fig`` (changed in place).

    Example:
        >>> w = go.FigureWidget(cluster_graph(c))          # doctest: +SKIP
        >>> c.isolate("n1"); c.run_for(300)               # doctest: +SKIP
        >>> update_figure(w, cluster_graph(c))            # doctest: +SKIP
    """
    # Read without deep copies (setting a property on ``fig`` validates, i.e. copies, it).
    new_data = [dict(_props(t)) for t in new_fig.data]
    new_layout = dict(_props(new_fig.layout))
    # Every builder uses the same template; re-applying it is the slowest part of an update.
    if fig.layout.template.layout.to_plotly_json():
        new_layout.pop("template", None)
    with fig.batch_update():
        old = list(fig.data)
        if not _prefix_types_match(old, new_data):
            fig.data = ()
            old = []
        if len(old) > len(new_data):
            fig.data = tuple(old[: len(new_data)])
            old = list(fig.data)
        for trace, props in zip(old, new_data):
            update = _changed(_props(trace), props)
            if update:
                trace.update(update, overwrite=True)
        if len(new_data) > len(old):
            fig.add_traces(new_data[len(old):])
        # Layout keys the new figure lacks are kept (a panel may set autosize, height...).
        changed = _changed(_props(fig.layout), new_layout, remove=False)
        if changed:
            fig.layout.update(changed, overwrite=True)
    return fig


def _props(obj) -> dict:
    """The properties set on a plotly object, without a deep copy when plotly allows it."""
    props = getattr(obj, "_props", None)
    return props if isinstance(props, dict) else obj.to_plotly_json()


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):   # e.g. numpy arrays: compare by redrawing
        return False


def _changed(current: dict, new: dict, remove: bool = True) -> dict:
    """The properties to set so that ``current`` shows ``new``: those that differ, and (with
    ``remove``) None for those ``new`` lacks. An unchanged property is not validated or sent
    again, which keeps redraws cheap."""
    update = {k: v for k, v in new.items()
              if k not in ("type", "uid") and not (k in current and _same(current[k], v))}
    if remove:
        for k in current:
            if k not in new and k not in ("type", "uid"):
                update[k] = None
    return update


def _prefix_types_match(old, new_data) -> bool:
    n = min(len(old), len(new_data))
    return all(old[i].type == new_data[i].get("type", "scatter") for i in range(n))
