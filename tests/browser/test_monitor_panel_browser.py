"""The MonitorPanel in a real browser (JupyterLab, Playwright): 'run 5 s' grows the series and
'inject' (a crash) followed by a run draws the fault band, read through plotly's own DOM."""

import json

from test_panels_browser import (assert_no_page_errors, collect_console,
                                 open_in_own_workspace_and_run_all)

MONITOR_NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["from caplab.widgets import MonitorPanel\n",
                    "panel = MonitorPanel(seed=1)\n",
                    "panel"]}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5}

# The dashboard is the plot titled "Live monitoring": its points and its band labels.
DASHBOARD = """() => {
  const el = Array.from(document.querySelectorAll('.js-plotly-plot')).find(
      p => p.layout && p.layout.title && String(p.layout.title.text || '').includes('Live'));
  if (!el) return null;
  return {points: (el.data[0].x || []).length,
          bands: (el.layout.annotations || []).map(a => a.text)};
}"""


def wait_for_dashboard(page, condition, timeout_ms=60_000):
    handle = page.wait_for_function(
        f"() => {{ const d = ({DASHBOARD})(); return d && ({condition}) && d; }}",
        timeout=timeout_ms)
    return handle.json_value()


def test_monitor_panel_runs_and_draws_a_fault_band(page, lab_server, artifacts_dir):
    """Clicking 'run 5 s' adds five windows; 'inject' (crash sale-1) then a run adds its band."""
    page.set_viewport_size({"width": 1600, "height": 1400})
    collect_console(page)
    (lab_server["root"] / "notebooks" / "monitor_probe.ipynb").write_text(
        json.dumps(MONITOR_NOTEBOOK))
    open_in_own_workspace_and_run_all(page, lab_server, "monitor_probe.ipynb")
    before = wait_for_dashboard(page, "d.points === 0", timeout_ms=90_000)
    assert before["points"] == 0
    page.get_by_role("button", name="run 5 s", exact=True).click()
    after_run = wait_for_dashboard(page, "d.points === 5")
    page.get_by_role("button", name="inject", exact=True).click()
    page.get_by_role("button", name="run 5 s", exact=True).click()
    # The band (layout) and the points (data) can arrive in separate updates: wait for both.
    after_crash = wait_for_dashboard(page, "d.bands.includes('sale-1 crashed') && d.points === 10")
    assert after_run["points"] == 5 and after_crash["points"] == 10
    page.screenshot(path=str(artifacts_dir / "lab-monitor-panel.png"), full_page=True)
    assert_no_page_errors(page)
