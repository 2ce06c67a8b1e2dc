"""The EventsPanel in a real browser (JupyterLab, Playwright): 'run the story' with
commit-then-publish shows the lost event, and the event log table and flow diagram are drawn."""

import json

from test_panels_browser import (assert_no_page_errors, collect_console,
                                 open_in_own_workspace_and_run_all)

NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["from caplab.widgets import EventsPanel\n",
                    "panel = EventsPanel(seed=1, publish='after_commit')\n",
                    "panel"]}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5}

# The panel's two figures, found by their titles, and the verdict shown.
STATE = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  const titled = s => plots.find(p => p.layout && p.layout.title &&
                                      String(p.layout.title.text || '').startsWith(s));
  const table = titled('Event log'), flow = titled('Event flow');
  const verdict = document.querySelector('[data-verdict]');
  return {rows: table && table.data[0].cells ? table.data[0].cells.values[2].length : -1,
          types: table && table.data[0].cells ? table.data[0].cells.values[2] : [],
          flow_points: flow ? (flow.data[0].text || []).length : -1,  // hover points of the arrows
          verdict: verdict ? verdict.getAttribute('data-verdict') : null};
}"""


def test_events_panel_story_shows_the_lost_event_in_jupyterlab(page, lab_server, artifacts_dir):
    """Clicking 'run the story' (commit then publish, payments crashes in between) shows the
    verdict 'lost event'; the log table lists OrderPlaced but no PaymentAuthorised."""
    page.set_viewport_size({"width": 1600, "height": 1400})
    collect_console(page)
    (lab_server["root"] / "notebooks" / "events_probe.ipynb").write_text(json.dumps(NOTEBOOK))
    open_in_own_workspace_and_run_all(page, lab_server, "events_probe.ipynb")
    page.wait_for_function(f"() => {{ const s = ({STATE})(); return s.rows === 0 && "
                           f"s.verdict === 'consistent'; }}", timeout=90_000)
    page.get_by_role("button", name="run the story", exact=True).click()
    # The verdict, the table and the flow are three widgets: wait for what is asserted on
    # each (the table's OrderPlaced row, not just some row).
    handle = page.wait_for_function(
        f"() => {{ const s = ({STATE})(); return s.verdict === 'lost event' && s.flow_points > 0"
        f" && s.types.includes('OrderPlaced') && s; }}", timeout=60_000)
    state = handle.json_value()
    assert "OrderPlaced" in state["types"] and "PaymentAuthorised" not in state["types"]
    page.screenshot(path=str(artifacts_dir / "lab-events-panel.png"), full_page=True)
    assert_no_page_errors(page)
