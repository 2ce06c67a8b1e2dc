"""Redraw in place: copy a freshly built figure into an existing one (a ``go.FigureWidget`` in a
panel) trace by trace, so the browser updates instead of re-creating the plot.
"""

from __future__ import annotations

__all__ = ["update_figure"]


def update_figure(fig, new_fig):
    """Make ``fig`` show what ``new_fig`` shows, changing it in place in one batch.

    Traces are matched by position: matching traces of the same type are updated property by
    property (properties ``new_fig`` lacks are reset); extra traces are removed and missing ones
    added; a trace whose type changed is replaced. The layout is overwritten key by key (the
    builders always set ``annotations`` and ``shapes``, so stale ones disappear).

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
    new_data = [t.to_plotly_json() for t in new_fig.data]
    new_layout = new_fig.layout.to_plotly_json()
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
            current = trace.to_plotly_json()
            update = {k: v for k, v in props.items() if k not in ("type", "uid")}
            for k in current:
                if k not in update and k not in ("type", "uid"):
                    update[k] = None
            trace.update(update, overwrite=True)
        if len(new_data) > len(old):
            fig.add_traces(new_data[len(old):])
        fig.layout.update(new_layout, overwrite=True)
    return fig


def _prefix_types_match(old, new_data) -> bool:
    n = min(len(old), len(new_data))
    return all(old[i].type == new_data[i].get("type", "scatter") for i in range(n))
