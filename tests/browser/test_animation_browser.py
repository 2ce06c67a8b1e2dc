"""The step-through views in a real browser: MessageAnimation's step, play and pause buttons
and CounterexampleStepper's step button change what is shown, read through plotly's own DOM (the
figure's title), with the click-to-repaint times of the steps measured and printed."""

import json
import re
import statistics
import time

from browserkit import wait_stable
from playwright.sync_api import expect
from test_panels_browser import (assert_no_page_errors, collect_console,
                                 open_in_own_workspace_and_run_all)

NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["from caplab.course import cp\n",
                    "from caplab.widgets import MessageAnimation\n",
                    "f1 = cp.failover(seed=1, w=1)\n",
                    "anim = MessageAnimation(f1.cluster, since_ms=f1.heal_ms,\n",
                    "                        until_ms=f1.heal_ms + 400, step_ms=5, speed='4×')\n",
                    "anim"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["from caplab.check import check_linearizability\n",
                    "from caplab.course.checking import tiny_history\n",
                    "from caplab.widgets import CounterexampleStepper\n",
                    "inv = tiny_history('inversion')\n",
                    "CounterexampleStepper(inv, check_linearizability(inv))"]}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5}

# The animation's plot: its title starts with "t = "; return the title's text.
TITLE = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  const el = plots.find(p => p.layout && p.layout.title &&
                             String(p.layout.title.text || '').startsWith('t = '));
  return el ? String(el.layout.title.text) : null;
}"""


# The stepper's plot: its title starts with the verdict; return the title's text.
STEPPER = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  const el = plots.find(p => p.layout && p.layout.title &&
                             String(p.layout.title.text || '').startsWith('not linearizable'));
  return el ? String(el.layout.title.text) : null;
}"""


def _time_of(title: str) -> int:
    return int(title.split(" ms")[0].removeprefix("t = "))


def _wait_title(page, condition: str, timeout_ms: int = 60_000) -> str:
    handle = page.wait_for_function(
        f"() => {{ const t = ({TITLE})(); return t && ({condition}) && t; }}", timeout=timeout_ms)
    return handle.json_value()


def _button(page, tooltip: str):
    """The button with this tooltip (its Font Awesome icon adds a glyph to the accessible
    name, and both panels have a "step" button, so the tooltip is the stable handle)."""
    return page.locator(f"button[title='{tooltip}']")


def _dismiss_dialogs(page) -> None:
    """Close a JupyterLab dialog (the extension manager's first-run question) that would
    cover the notebook and swallow the clicks."""
    for _ in range(3):
        if not page.locator(".jp-Dialog").count():
            return
        page.keyboard.press("Escape")
        try:
            page.locator(".jp-Dialog").first.wait_for(state="detached", timeout=5_000)
        except Exception:
            pass        # still there: press Escape again


def test_animation_steps_and_plays_in_jupyterlab(page, lab_server, artifacts_dir):
    """step shows the next frame (5 ms later); play advances the frames by itself; pause stops."""
    page.set_viewport_size({"width": 1366, "height": 900})
    collect_console(page)
    (lab_server["root"] / "notebooks" / "animation_probe.ipynb").write_text(
        json.dumps(NOTEBOOK))
    open_in_own_workspace_and_run_all(page, lab_server, "animation_probe.ipynb")
    first = _wait_title(page, "true", timeout_ms=90_000)
    start = _time_of(first)
    _dismiss_dialogs(page)
    step = _button(page, "one frame forward")
    repaint_ms = []
    for k in range(1, 6):
        clicked = time.perf_counter()
        step.click()
        _wait_title(page, f"t.startsWith('t = {start + 5 * k} ms')")
        repaint_ms.append(1000 * (time.perf_counter() - clicked))
    print(f"animation step click-to-repaint ms: {[round(x) for x in repaint_ms]}, median "
          f"{statistics.median(repaint_ms):.0f}")
    toggle = _button(page, "play / pause")
    toggle.click()
    playing = _wait_title(page, f"parseInt(t.slice(4)) >= {start + 5 * 12}")
    # The label is relabelled by the kernel, apart from the frames the browser's timer draws.
    expect(toggle).to_have_text(re.compile(r"^\s*pause\s*$"), timeout=30_000)
    assert re.fullmatch(r"\s*pause\s*", toggle.text_content())
    toggle.click()
    expect(toggle).to_have_text(re.compile(r"^\s*play\s*$"), timeout=30_000)
    # Frames requested just before the pause may still be on their way from the kernel when
    # the label flips: take the title once it has stopped changing (2 s quiet), then check
    # that no frame comes after it.
    paused = wait_stable(page, TITLE, quiet_ms=2000)
    page.wait_for_timeout(1500)
    assert _time_of(playing) > start + 25 and page.evaluate(TITLE) == paused
    page.screenshot(path=str(artifacts_dir / "lab-message-animation.png"), full_page=True)
    # The counterexample stepper below it (a figure of its own): its step button places
    # Alice's put (state 1).
    page.wait_for_function(f"() => String(({STEPPER})() || '').includes('step 0')",
                           timeout=60_000)
    assert "step 0" in page.evaluate(STEPPER)
    _button(page, "place the next operation").click()
    page.wait_for_function(f"() => String(({STEPPER})() || '').includes('step 1: #1 "
                           f"put(x,1) at 0; state 1')", timeout=60_000)
    assert_no_page_errors(page)
