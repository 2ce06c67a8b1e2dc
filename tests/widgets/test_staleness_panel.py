"""StalenessPanel layout: the curve takes the width the panel is given."""

from __future__ import annotations

from caplab.widgets import StalenessPanel


def test_staleness_figure_fills_the_available_width():
    """The figure autosizes (plotly's fixed 700 px default left ~250 px empty at 1366 px) and
    keeps doing so after a slider redraws it."""
    panel = StalenessPanel(n=3, r=1, w=1, trials=2000)
    assert panel.figure.layout.autosize is True
    assert panel.figure.layout.width is None
    holder = panel.widget.children[-1]
    assert panel.figure in holder.children and holder.layout.width == "100%"
    panel.r_slider.value = 2
    assert panel.figure.layout.autosize is True


def test_panel_figures_follow_the_width_of_their_box():
    """plotly's FigureWidget sizes itself once, before layout (a fixed 700 px); panel figures
    are responsive and their loader resizes them when their box changes size, while still
    sharing plotly's bundle (the loader stays small)."""
    panel = StalenessPanel(n=3, r=1, w=1, trials=2000)
    fig = panel.figure
    assert fig._config.get("responsive") is True
    esm = fig._esm
    assert "ResizeObserver" in esm and "_responsiveChartHandler" in esm
    assert esm.count("export default") == 1 and len(esm) < 10_000
