"""A plotly ``FigureWidget`` whose browser code is loaded once per page, not once per figure.

Why: plotly's ``FigureWidget`` is an anywidget whose ``_esm`` trait carries plotly's whole
widget bundle (about 5 MB of JavaScript). Every figure ships its own copy and the browser
compiles each copy separately. anywidget gives a model 2 s to initialise; a model that misses
that deadline never processes another message from the kernel (anywidget's ``_handle_comm_msg``
awaits the failed ``ready`` promise), so the figure is drawn once and then ignores every redraw.
A panel page has four to seven figures; on a busy machine (a classroom laptop, or CI running
two test workers) compiling seven copies in parallel misses the deadline and the cluster graph
froze after a click.

How: ``Figure`` replaces ``_esm`` with a small loader. The bundle itself lives in one hidden
``PlotlyModule`` model per kernel; every figure refers to it. In the browser the first figure
compiles the bundle from that model and keeps the module promise on ``globalThis``; the other
figures reuse it. Everything else is plotly's own ``FigureWidget``.
"""

from __future__ import annotations

import hashlib
import pathlib

import ipywidgets
import plotly
import plotly.graph_objects as go
import traitlets

__all__ = ["Figure", "PlotlyModule", "plotly_module"]

_BUNDLE = pathlib.Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"


class PlotlyModule(ipywidgets.Widget):
    """A model holding plotly's widget bundle, shared by every ``Figure`` in the kernel.

    A plain ``WidgetModel`` in the browser: it has no view and never changes after creation.
    """

    source = traitlets.Unicode("").tag(sync=True)
    digest = traitlets.Unicode("").tag(sync=True)


_MODULE: PlotlyModule | None = None


def plotly_module() -> PlotlyModule:
    """The kernel's one ``PlotlyModule`` (created on first use, re-created if closed)."""
    global _MODULE
    if _MODULE is None or _MODULE.comm is None:
        source = _BUNDLE.read_text(encoding="utf-8")
        _MODULE = PlotlyModule(source=source,
                               digest=hashlib.sha256(source.encode()).hexdigest()[:16])
    return _MODULE


# The loader every Figure ships instead of the 5 MB bundle. It resolves the shared model (a
# widget reference "IPY_MODEL_<id>"), compiles its source once per page (keyed by the bundle's
# digest, so two plotly versions never mix) and delegates to plotly's own widget factory.
_LOADER = """
const PREFIX = "IPY_MODEL_";
async function plotlyFactory(model) {
  const ref = model.get("_plotly_module");
  const id = ref.startsWith(PREFIX) ? ref.slice(PREFIX.length) : ref;
  const holder = await model.widget_manager.get_model(id);
  const key = Symbol.for("caplab.plotly-widget." + holder.get("digest"));
  if (!globalThis[key]) {
    globalThis[key] = (async () => {
      const url = URL.createObjectURL(
        new Blob([holder.get("source")], { type: "text/javascript" }));
      try {
        return (await import(/* webpackIgnore: true */ url)).default;
      } finally {
        URL.revokeObjectURL(url);
      }
    })();
    // A failed load must not poison the page: the next figure tries again.
    globalThis[key].catch(() => { delete globalThis[key]; });
  }
  return globalThis[key];
}

export default () => {
  let inner = null;
  return {
    async initialize(ctx) {
      const factory = await plotlyFactory(ctx.model);
      inner = factory();
      return inner.initialize(ctx);
    },
    async render(ctx) {
      const cleanup = await inner.render(ctx);
      // plotly sizes a widget's plot once, before the page has laid it out (a fixed 700 px),
      // and never follows its box: refit it whenever the box changes size (plotly's own
      // responsive handler, present when the figure's config has responsive: true).
      const el = ctx.el;
      let observer = null;
      if (typeof ResizeObserver === "function") {
        observer = new ResizeObserver(() => {
          const gd = el.classList.contains("js-plotly-plot") ? el
                     : el.querySelector(".js-plotly-plot");
          if (gd && gd._responsiveChartHandler && el.clientWidth > 0) {
            gd._responsiveChartHandler();
          }
        });
        observer.observe(el);
      }
      return () => {
        if (observer) observer.disconnect();
        if (typeof cleanup === "function") cleanup();
      };
    },
  };
};
"""


class Figure(go.FigureWidget):
    """``go.FigureWidget`` that shares plotly's browser code with the other figures.

    Use it exactly like ``go.FigureWidget``: ``Figure(fig)``, ``batch_update()``, in place
    updates; only the browser-side loading differs.
    """

    _esm = _LOADER
    _plotly_module = traitlets.Instance(PlotlyModule).tag(
        sync=True, **ipywidgets.widget_serialization)

    @traitlets.default("_plotly_module")
    def _default_plotly_module(self):
        # Evaluated when the comm opens, so the reference is in the figure's first state.
        return plotly_module()
