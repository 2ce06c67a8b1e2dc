"""The shared-bundle FigureWidget: each figure ships a small loader and a reference to one
model holding plotly's browser bundle, instead of its own 5 MB copy."""

import plotly.graph_objects as go

from caplab.widgets._figure import Figure, PlotlyModule, plotly_module, _BUNDLE


def test_figure_state_refers_to_the_shared_bundle_instead_of_carrying_it():
    a = Figure(go.Scatter(x=[0, 1], y=[1, 0]))
    b = Figure(go.Bar(x=["a"], y=[2]))
    state_a, state_b = a.get_state(), b.get_state()
    bundle = _BUNDLE.read_text(encoding="utf-8")
    # The loader is small; plotly's own FigureWidget would ship the whole bundle.
    assert len(state_a["_esm"]) < 5_000 < len(bundle)
    assert len(go.FigureWidget().get_state()["_esm"]) == len(bundle)
    # Both figures point at the same module model, which holds the bundle verbatim.
    module = plotly_module()
    assert state_a["_plotly_module"] == state_b["_plotly_module"] == f"IPY_MODEL_{module.model_id}"
    assert isinstance(module, PlotlyModule) and module.source == bundle
    assert len(module.digest) == 16


def test_figure_behaves_like_a_figurewidget():
    f = Figure(go.Scatter(x=[0, 1], y=[1, 0], name="probe"))
    assert isinstance(f, go.FigureWidget)
    with f.batch_update():
        f.data[0].y = [5, 6]
        f.layout.title = "changed"
    assert list(f.data[0].y) == [5, 6] and f.layout.title.text == "changed"


def test_a_closed_module_is_recreated():
    first = plotly_module()
    first.close()
    second = plotly_module()
    assert second is not first and second.comm is not None
    assert Figure().get_state()["_plotly_module"] == f"IPY_MODEL_{second.model_id}"
