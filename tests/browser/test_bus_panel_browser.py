"""The BusPanel in a real browser (JupyterLab): a burst and a run update the counters and the
Kafka view; choosing RabbitMQ redraws the same figure as the exchange/queue graph."""

import json

from test_panels_browser import (assert_no_page_errors, collect_console,
                                 open_in_own_workspace_and_run_all)

BUS_NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["from caplab.widgets import BusPanel\n",
                    "panel = BusPanel('kafka', seed=1)\n",
                    "panel"]}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5}

# The bus view is the panel's only plot: its title and trace names.
VIEW = """() => {
  const el = document.querySelector('.js-plotly-plot');
  if (!el || !el.layout || !el.layout.title) return null;
  const cell = n => { const c = document.querySelector(`[data-counter='${n}'] b`);
                      return c ? Number(c.textContent) : null; };
  return {title: String(el.layout.title.text || ''), names: el.data.map(t => t.name),
          delivered: cell('delivered'), acknowledged: cell('acknowledged')};
}"""


def wait_for_view(page, condition, timeout_ms=60_000):
    handle = page.wait_for_function(
        f"() => {{ const v = ({VIEW})(); return v && ({condition}) && v; }}", timeout=timeout_ms)
    return handle.json_value()


def test_bus_panel_counts_a_burst_and_switches_to_rabbitmq(page, lab_server, artifacts_dir):
    """produce 10 + run 300 ms: 10 delivered and the log's lanes redrawn; RabbitMQ: the figure
    becomes the queue graph."""
    page.set_viewport_size({"width": 1600, "height": 1200})
    collect_console(page)
    (lab_server["root"] / "notebooks" / "bus_probe.ipynb").write_text(json.dumps(BUS_NOTEBOOK))
    open_in_own_workspace_and_run_all(page, lab_server, "bus_probe.ipynb")
    # The counters are a widget of their own: wait for them as well as for the figure.
    before = wait_for_view(page, "v.title.includes(\"topic 'orders'\") && v.delivered === 0",
                           timeout_ms=90_000)
    assert before["delivered"] == 0
    page.get_by_role("button", name="produce 10", exact=True).click()
    page.get_by_role("button", name="run 300 ms", exact=True).click()
    # The counters and the figure are separate widgets: wait for both to repaint.
    after = wait_for_view(page, f"v.delivered === 10 && v.acknowledged === 10 && "
                                f"v.title !== {json.dumps(before['title'])}")
    assert after["acknowledged"] == 10 and after["title"] != before["title"]
    page.screenshot(path=str(artifacts_dir / "lab-bus-panel-kafka.png"), full_page=True)
    page.get_by_role("button", name="RabbitMQ", exact=True).click()
    rabbit = wait_for_view(page, "v.title.startsWith('queues at') && v.names.includes('queue')"
                                 " && v.delivered === 0")
    assert "queue" in rabbit["names"] and rabbit["delivered"] == 0
    page.screenshot(path=str(artifacts_dir / "lab-bus-panel-rabbit.png"), full_page=True)
    assert_no_page_errors(page)
