"""The panels in a real browser: the ClusterPanel in JupyterLab and the classroom dashboard in
Voila, clicked with Playwright and checked through plotly's own DOM (the plot elements' ``data``
and title text), with screenshots kept as evidence."""

import json

from browserkit import RUN_ALL_TIMEOUT_MS

PANEL_NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["from caplab.widgets import ClusterPanel\n",
                    "panel = ClusterPanel(mode='cp', nodes=5, seed=1)\n",
                    "panel"]}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5}

# The cluster graph is the plot whose title starts with "CP cluster"; read its traces.
GRAPH = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  const el = plots.find(p => p.layout && p.layout.title &&
                             String(p.layout.title.text || '').includes('cluster ·'));
  if (!el) return null;
  const named = n => el.data.find(t => t.name === n) || {};
  return {title: el.querySelector('.gtitle') ? el.querySelector('.gtitle').textContent : '',
          cut: (named('cut link').x || []).filter(v => v !== null).length,
          down: (named('down').customdata || []).map(r => r[0]),
          plots: plots.length};
}"""


def open_in_own_workspace_and_run_all(page, lab, notebook: str,
                                      timeout_ms=RUN_ALL_TIMEOUT_MS) -> None:
    """Like ``browserkit.open_notebook_and_run_all``, but in a fresh JupyterLab workspace and
    only once ``notebook`` is the current widget: in the shared server the default workspace
    restores notebooks opened by earlier tests, and "current" may be one of those."""
    page.goto(f"{lab['url']}/lab/workspaces/{notebook.replace('.', '-')}/tree/notebooks/"
              f"{notebook}?reset&token={lab['token']}", timeout=timeout_ms)
    page.wait_for_function(
        f"""() => {{ const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                    return w && w.context && w.context.path.endsWith('{notebook}')
                           && w.sessionContext && w.sessionContext.session
                           && w.sessionContext.session.kernel; }}""", timeout=timeout_ms)
    page.evaluate("""async () => { const w = window.jupyterapp.shell.currentWidget;
                                   await w.sessionContext.ready;
                                   await w.sessionContext.session.kernel.info; }""")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   const cells = w.content.widgets.filter(c => c.model.type === 'code');
                   return w.sessionContext.session.kernel.status === 'idle'
                          && cells.every(c => c.model.executionCount !== null); }""",
        timeout=timeout_ms)


def collect_console(page) -> list:
    """Keep the page's console errors and uncaught exceptions, for failure reports."""
    seen = []
    page.on("console", lambda m: seen.append(f"console.{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: seen.append(f"pageerror: {e}"))
    page._caplab_console = seen
    return seen


def assert_no_page_errors(page) -> None:
    """No uncaught exception in the page (anywidget reports a figure that failed to
    initialise this way, and such a figure ignores every later redraw)."""
    errors = [m for m in page._caplab_console if m.startswith("pageerror")]
    assert not errors, errors


def wait_for_graph(page, condition, timeout_ms=60_000):
    try:
        handle = page.wait_for_function(
            f"() => {{ const g = ({GRAPH})(); return g && ({condition}) && g; }}",
            timeout=timeout_ms)
    except Exception:
        # Evidence for the failure report: what the page showed and which plots it had.
        page.screenshot(path="build/screenshots/failure.png", full_page=True)
        titles = page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                               ".map(p => p.layout && p.layout.title && p.layout.title.text)")
        raise AssertionError(f"graph never satisfied {condition!r}; plots: {titles}; graph: "
                             f"{page.evaluate(GRAPH)}; console: {getattr(page, '_caplab_console', [])[-20:]}"
                             ) from None
    # The graph as it was when it satisfied the condition (not re-read: it may have moved on).
    return handle.json_value()


def test_cluster_panel_partition_and_crash_redraw_in_jupyterlab(page, lab_server,
                                                                artifacts_dir):
    """In JupyterLab, 'isolate primary' draws cut links and 'crash n2' shows n2 down."""
    page.set_viewport_size({"width": 1600, "height": 1200})
    collect_console(page)
    (lab_server["root"] / "notebooks" / "panel_probe.ipynb").write_text(
        json.dumps(PANEL_NOTEBOOK))
    open_in_own_workspace_and_run_all(page, lab_server, "panel_probe.ipynb")
    # The title asserted is the painted one (.gtitle), which lags the figure's data.
    before = wait_for_graph(page, "g.plots >= 4 && g.title.includes('primary: n4') && "
                                  "g.cut === 0 && g.down.length === 0", timeout_ms=90_000)
    assert "Click to show javascript error" not in page.content()
    assert before["cut"] == 0 and before["down"] == []
    assert "primary: n4" in before["title"]
    page.get_by_role("button", name="isolate primary", exact=True).click()
    after_cut = wait_for_graph(page, "g.cut > 0")
    page.get_by_role("button", name="crash n2", exact=True).click()
    after_crash = wait_for_graph(page, "g.down.length === 1 && g.down[0] === 'n2'")
    assert after_cut["cut"] > 0 and after_crash["down"] == ["n2"]
    # The button's label is another widget, relabelled by the kernel after the redraw.
    page.get_by_role("button", name="restart n2", exact=True).wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "lab-cluster-panel.png"), full_page=True)
    assert_no_page_errors(page)


def test_voila_dashboard_redraws_after_a_click(page, voila_server, artifacts_dir):
    """The Voila dashboard shows both panels; clicking 'split 2|3' redraws the cluster graph."""
    page.set_viewport_size({"width": 1600, "height": 1200})
    collect_console(page)
    page.goto(voila_server["url"], timeout=RUN_ALL_TIMEOUT_MS)
    before = wait_for_graph(page, "g.plots >= 7 && g.cut === 0 && g.title.includes('t = 1500 ms')",
                            timeout_ms=RUN_ALL_TIMEOUT_MS)
    assert "Click to show javascript error" not in page.content()
    assert before["cut"] == 0 and "t = 1500 ms" in before["title"]
    page.screenshot(path=str(artifacts_dir / "voila-dashboard-before.png"), full_page=True)
    # One click: the kernel queues it if it is still busy with later cells, and every figure
    # processes the kernel's redraw (see caplab.widgets._figure for what used to break this).
    page.get_by_role("button", name="split 2|3", exact=True).click()
    after = wait_for_graph(page, "g.cut > 0", timeout_ms=60_000)
    assert after["cut"] > 0
    page.get_by_role("button", name="run for", exact=True).click()
    # The painted title moves on from the start time (waited for; a timeout fails the test).
    wait_for_graph(page, "g.title.includes('t = ') && !g.title.includes('t = 1500 ms')")
    page.set_viewport_size({"width": 1600, "height": 3200})   # the whole dashboard
    page.screenshot(path=str(artifacts_dir / "voila-dashboard-after.png"), full_page=True)
    (artifacts_dir / "voila-console.txt").write_text("\n".join(page._caplab_console))
    assert_no_page_errors(page)
