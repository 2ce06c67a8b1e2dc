"""The TxnPanel in a real browser (JupyterLab, Playwright, Debian's chromium): the first run
draws a 2PC round with the coordinator crashed after the votes; choosing 'saga' and clicking
'run' redraws the sequence diagram and the lock timeline for the seed manager's saga and shows
its violated checks. Checked through plotly's own DOM (titles and traces)."""

import json

from browserkit import wait_stable
from test_panels_browser import (assert_no_page_errors, collect_console,
                                 open_in_own_workspace_and_run_all)

TXN_NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["from caplab.widgets import TxnPanel\n",
                    "panel = TxnPanel(kind='2pc', crash_at='after_votes', fail_step='inventory',"
                    " manager='seed', seed=1)\n",
                    "panel"]}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5}

# The panel's two plots: the sequence diagram ("Messages ·") and the lock timeline ("Locks").
PLOTS = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  const titled = w => plots.find(p => p.layout && p.layout.title &&
                                      String(p.layout.title.text || '').startsWith(w));
  const seq = titled('Messages'), locks = titled('Locks');
  if (!seq || !locks) return null;
  const star = seq.data.find(t => t.name === 'failure point') || {};
  const held = locks.data.find(t => t.name === 'locks held') || {};
  const outcome = document.querySelector('[data-outcome]');
  return {seq: String(seq.layout.title.text), locks: String(locks.layout.title.text),
          stars: (star.y || []).length, held: (held.base || []).length,
          outcome: outcome ? outcome.getAttribute('data-outcome') : null,
          violated: document.querySelectorAll("tr[data-valid='false']").length};
}"""


# At a laptop's 1366 px: nothing of the panel sticks out on the right or scrolls sideways.
FIT = """() => {
  const panel = document.querySelector('.caplab-panel');
  const parts = [panel, ...panel.querySelectorAll('.js-plotly-plot, table, button, select')];
  const edge = panel.getBoundingClientRect().right;
  const wide = Array.from(panel.querySelectorAll('*'))
      .filter(el => el.getBoundingClientRect().right > edge + 0.5)
      .slice(0, 5).map(el => el.className + ' ' + Math.round(el.getBoundingClientRect().right));
  return {width: window.innerWidth, overflow: panel.scrollWidth - panel.clientWidth,
          rights: parts.map(el => el.getBoundingClientRect().right), edge, wide};
}"""


def _wait(page, condition, timeout_ms=60_000):
    try:
        handle = page.wait_for_function(
            f"() => {{ const g = ({PLOTS})(); return g && ({condition}) && g; }}",
            timeout=timeout_ms)
    except Exception:
        page.screenshot(path="build/screenshots/txn-failure.png", full_page=True)
        raise AssertionError(f"never {condition!r}: {page.evaluate(PLOTS)}; console: "
                             f"{getattr(page, '_caplab_console', [])[-20:]}") from None
    return handle.json_value()


def test_txn_panel_runs_2pc_then_a_saga_in_jupyterlab(page, lab_server, artifacts_dir):
    """2PC after the votes: aborted, failure starred, locks drawn; saga with the seed manager:
    redrawn in place, its checks violated; at 1366x768 nothing sticks out on the right."""
    page.set_viewport_size({"width": 1600, "height": 1600})
    collect_console(page)
    (lab_server["root"] / "notebooks" / "txn_panel_probe.ipynb").write_text(
        json.dumps(TXN_NOTEBOOK))
    open_in_own_workspace_and_run_all(page, lab_server, "txn_panel_probe.ipynb")
    # The outcome, the two plots and the checks table are separate widgets, each repainted in
    # its own time: wait for everything asserted, not for the sequence diagram alone.
    first = _wait(page, "g.seq.includes('after votes') && g.outcome === 'aborted' && "
                        "g.stars >= 1 && g.held >= 3 && g.violated === 0", timeout_ms=90_000)
    assert first["outcome"] == "aborted" and first["stars"] >= 1 and first["held"] >= 3
    assert first["violated"] == 0
    page.get_by_role("button", name="saga", exact=True).click()
    page.get_by_role("button", name="run", exact=True).click()
    after = _wait(page, "g.seq.includes('seed manager') && g.violated > 0 && "
                        "g.outcome === 'compensated' && g.locks.includes('seed manager')")
    assert after["outcome"] == "compensated" and "seed manager" in after["locks"]
    page.screenshot(path=str(artifacts_dir / "lab-txn-panel.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    # plotly autosizes on resize, in its own time: measure once the layout has settled.
    fit = wait_stable(page, FIT)
    page.screenshot(path=str(artifacts_dir / "lab-txn-panel-1366x768.png"))
    assert fit["overflow"] <= 1, (fit["wide"], fit["overflow"])
    assert all(right <= fit["width"] + 1 for right in fit["rights"]), fit
    assert_no_page_errors(page)
