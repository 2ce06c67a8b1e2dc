"""The panels' layout and speed in a real browser: at 1366x768 (a laptop in JupyterLab) and
1920x1080 (the Voila dashboard on a projector) the controls, the cluster graph and the timeline
are on one screen, the side-by-side panel's titles and table are not cut, and a click repaints
quickly. Bounding boxes are read from the DOM; screenshots are kept under build/screenshots."""

import json
import statistics

from browserkit import RUN_ALL_TIMEOUT_MS, wait_stable
from test_panels_browser import (GRAPH, collect_console, assert_no_page_errors,
                                 open_in_own_workspace_and_run_all, wait_for_graph)


def _notebook(*lines):
    return {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None,
                       "outputs": [], "source": [line + "\n" for line in lines]}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


# Bounding boxes (viewport coordinates) of the panel's parts, with the panel scrolled to the top.
BOXES = """() => {
  const panel = document.querySelector('.caplab-panel');
  if (!panel) return null;
  panel.scrollIntoView({block: 'start'});
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
                      return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const plots = Array.from(panel.querySelectorAll('.js-plotly-plot'));
  const titled = s => plots.find(p => p.layout && p.layout.title &&
                                     String(p.layout.title.text || '').startsWith(s));
  const run = Array.from(panel.querySelectorAll('button'))
                   .find(b => b.textContent.trim() === 'run for');
  return {controls: box(panel.querySelector('.caplab-controls')),
          graph: box(titled('CP cluster')), timeline: box(titled('Operations')),
          run: box(run), font: run ? parseFloat(getComputedStyle(run).fontSize) : null,
          viewport: {width: window.innerWidth, height: window.innerHeight}};
}"""
# Every part BOXES measures is drawn (the layout is then waited on until it settles).
BOXES_DRAWN = "v.controls && v.graph && v.timeline && v.run && v.font"

# Time from a click to the cluster graph's data changing and the next frame being painted.
CLICK_TO_REPAINT = """async ([name, cond]) => {
  const graph = """ + GRAPH + """;
  const test = new Function('g', 'return ' + cond);
  const button = Array.from(document.querySelectorAll('button'))
                      .find(b => b.textContent.trim() === name);
  if (!button) throw new Error('no button ' + name);
  const t0 = performance.now();
  button.click();
  return await new Promise((resolve, reject) => {
    const check = () => { const g = graph();
      if (g && test(g)) requestAnimationFrame(() => resolve(performance.now() - t0));
      else if (performance.now() - t0 > 60000) reject(new Error('never ' + cond));
      else requestAnimationFrame(check); };
    requestAnimationFrame(check);
  });
}"""


def _inside(box, viewport):
    return box is not None and box["top"] >= 0 and box["bottom"] <= viewport["height"] + 1 \
        and box["right"] <= viewport["width"] + 1


def test_cluster_panel_fits_one_screen_and_repaints_fast(page, lab_server, artifacts_dir):
    """At 1366x768 and 1920x1080 in JupyterLab the controls, the graph and the timeline are on
    one screen; a crash/restart click repaints the 5-node graph (median reported)."""
    collect_console(page)
    (lab_server["root"] / "notebooks" / "layout_probe.ipynb").write_text(json.dumps(_notebook(
        "from caplab.widgets import ClusterPanel",
        "panel = ClusterPanel(mode='cp', nodes=5, seed=1)", "panel")))
    page.set_viewport_size({"width": 1366, "height": 768})
    open_in_own_workspace_and_run_all(page, lab_server, "layout_probe.ipynb")
    wait_for_graph(page, "g.plots >= 4", timeout_ms=90_000)
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        # plotly autosizes on resize, in its own time: measure once the layout has settled.
        boxes = wait_stable(page, BOXES, until=BOXES_DRAWN)
        page.screenshot(path=str(artifacts_dir / f"lab-panel-{width}x{height}.png"))
        for part in ("controls", "graph", "timeline", "run"):
            assert _inside(boxes[part], boxes["viewport"]), (width, part, boxes)
    timings = []
    for _ in range(6):
        timings.append(page.evaluate(CLICK_TO_REPAINT, ["crash n2", "g.down.includes('n2')"]))
        # The next click needs the relabelled button (a kernel round trip after the redraw).
        page.get_by_role("button", name="restart n2", exact=True).wait_for(timeout=30_000)
        timings.append(page.evaluate(CLICK_TO_REPAINT, ["restart n2", "!g.down.includes('n2')"]))
        page.get_by_role("button", name="crash n2", exact=True).wait_for(timeout=30_000)
    median = statistics.median(timings)
    (artifacts_dir / "click-to-repaint.txt").write_text(
        f"5-node cluster panel, JupyterLab, chromium: click-to-repaint ms: "
        f"{[round(t) for t in timings]}; median {median:.0f} ms\n")
    print(f"click-to-repaint median {median:.0f} ms over {len(timings)} clicks")
    assert median < 1000, timings      # a regression guard; the target (150 ms) is reported
    assert_no_page_errors(page)


SIDE_BY_SIDE = """() => {
  const panel = document.querySelector('.caplab-panel');
  if (!panel) return null;
  const plots = Array.from(panel.querySelectorAll('.js-plotly-plot'))
      .filter(p => p.layout && p.layout.title);
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
                      return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const bars = plots.find(p => String(p.layout.title.text || '').startsWith('Availability'));
  const panelTitles = bars ? Array.from(bars.querySelectorAll('.annotation'))
      .filter(a => !a.textContent.includes('linearizable')).map(a => box(a)) : [];
  const timelines = plots.filter(p => /^(CP|AP): /.test(String(p.layout.title.text || '')))
      .map(p => ({plot: box(p), title: box(p.querySelector('.gtitle'))}));
  const verdicts = panel.querySelector('.caplab-verdicts');
  return {bars: !!bars, panelTitles, timelines,
          table: box(panel.querySelector('.caplab-verdicts table')),
          tableBox: box(verdicts && verdicts.parentElement), viewport: {width: window.innerWidth}};
}"""
# Every part SIDE_BY_SIDE measures is drawn: the bars, both timelines with their titles, the
# table (three kinds of widget, each drawn in its own time).
SIDE_BY_SIDE_DRAWN = ("v.bars && v.timelines.length === 2 && v.timelines.every(t => t.title)"
                      " && v.table && v.tableBox")


def test_side_by_side_panel_titles_and_table_fit_at_1366(page, lab_server, artifacts_dir):
    """At 1366 px: the bars' panel titles do not overlap, each timeline's title fits inside
    its plot, and the summary table is not cut off on the right."""
    collect_console(page)
    (lab_server["root"] / "notebooks" / "side_probe.ipynb").write_text(json.dumps(_notebook(
        "from caplab.widgets import SideBySidePanel",
        "SideBySidePanel(seed=1, nodes=5)")))
    page.set_viewport_size({"width": 1366, "height": 768})
    open_in_own_workspace_and_run_all(page, lab_server, "side_probe.ipynb")
    try:
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".filter(p => p.layout && /^(CP|AP): /.test(String(p.layout.title.text))).length"
            " == 2", timeout=120_000)
    except Exception:
        page.screenshot(path=str(artifacts_dir / "failure-side-by-side.png"), full_page=True)
        titles = page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                               ".map(p => p.layout && p.layout.title && p.layout.title.text)")
        raise AssertionError(f"timelines never drawn; plots: {titles}; console: "
                             f"{page._caplab_console[-10:]}") from None
    d = wait_stable(page, SIDE_BY_SIDE, until=SIDE_BY_SIDE_DRAWN, timeout_ms=60_000)
    page.screenshot(path=str(artifacts_dir / "lab-side-by-side-1366.png"), full_page=True)
    titles = sorted(d["panelTitles"], key=lambda b: b["left"])
    assert len(titles) >= 3
    for a, b in zip(titles, titles[1:]):
        assert a["right"] <= b["left"] + 1, titles
    for t in d["timelines"]:
        assert t["plot"]["left"] - 1 <= t["title"]["left"] and \
            t["title"]["right"] <= t["plot"]["right"] + 1, t
    assert d["table"]["right"] <= min(d["tableBox"]["right"], d["viewport"]["width"]) + 1, d
    assert_no_page_errors(page)


def test_voila_dashboard_projector_mode_at_1920(page, voila_server, artifacts_dir):
    """The dashboard on a 1920x1080 projector: the controls (with 'run for'), the graph and the
    timeline above the fold, button text at least 24 px, the graph at least half the width."""
    collect_console(page)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(voila_server["url"], timeout=RUN_ALL_TIMEOUT_MS)
    wait_for_graph(page, "g.plots >= 7", timeout_ms=RUN_ALL_TIMEOUT_MS)
    boxes = wait_stable(page, BOXES, until=BOXES_DRAWN, timeout_ms=60_000)
    page.screenshot(path=str(artifacts_dir / "voila-projector-1920x1080.png"))
    for part in ("controls", "graph", "timeline", "run"):
        assert _inside(boxes[part], boxes["viewport"]), (part, boxes)
    assert boxes["font"] >= 24
    graph = boxes["graph"]
    assert graph["right"] - graph["left"] >= 0.3 * 1920
    assert_no_page_errors(page)
