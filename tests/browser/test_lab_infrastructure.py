"""The browser stack itself: a plotly FigureWidget and an ipywidgets button render and update in
JupyterLab in Debian's chromium (catches a missing anywidget front end, which headless notebook
execution cannot)."""

import json

from browserkit import open_notebook_and_run_all

PROBE = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["import ipywidgets as w, plotly.graph_objects as go\n",
                    "fig = go.FigureWidget(go.Scatter(x=[0, 1], y=[0, 1], name='probe'))\n",
                    "fig.layout.title.text = 'before'\n",
                    "b = w.Button(description='Add point')\n",
                    "def add(_):\n",
                    "    with fig.batch_update():\n",
                    "        fig.data[0].x = list(fig.data[0].x) + [len(fig.data[0].x)]\n",
                    "        fig.data[0].y = list(fig.data[0].y) + [5]\n",
                    "        fig.layout.title.text = 'after'\n",
                    "b.on_click(add)\n",
                    "w.VBox([b, fig])"]}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5}


def test_figurewidget_and_button_work_in_jupyterlab(page, lab_server, artifacts_dir):
    """Clicking a widget button updates a FigureWidget in place in the real browser."""
    (lab_server["root"] / "notebooks" / "probe.ipynb").write_text(json.dumps(PROBE))
    open_notebook_and_run_all(page, lab_server, "probe.ipynb")
    # The figure is drawn once its data and its painted title are there (waited for; the
    # values asserted are the ones that satisfied the wait).
    n_before = page.wait_for_function(
        """() => { const el = document.querySelector('.js-plotly-plot');
                   const t = el && el.querySelector('.gtitle');
                   return el && el.data && t && t.textContent === 'before'
                          && el.data[0].x.length; }""", timeout=60_000).json_value()
    assert "Click to show javascript error" not in page.content()
    page.get_by_role("button", name="Add point").click()
    # The title is painted after the data changes: wait for both, not for the data alone.
    page.wait_for_function(
        """() => { const el = document.querySelector('.js-plotly-plot');
                   return el.data[0].x.length === 3
                          && el.querySelector('.gtitle').textContent === 'after'; }""",
        timeout=60_000)
    assert n_before == 2
    assert page.locator(".gtitle").first.text_content() == "after"
    page.screenshot(path=str(artifacts_dir / "lab-probe.png"))
