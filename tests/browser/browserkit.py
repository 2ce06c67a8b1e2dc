"""Helpers for driving JupyterLab in a real browser (a uniquely named module, importable from
tests as ``from browserkit import ...``).

Waiting rule for every browser test: after an action, wait (``page.wait_for_function`` or
``expect``, with a generous timeout) for the exact condition that is asserted next, never for a
neighbouring one. The panels are several widgets (figures, counters, buttons, tables) that the
kernel updates by separate messages, and each repaints in its own time: on CI's two cores, with
a notebook running in the other pytest worker, one widget can lag another by seconds.
"""

from __future__ import annotations

import json

# Kernel start + "Run All" can take a minute on a busy 2-core machine; allow three.
RUN_ALL_TIMEOUT_MS = 180_000


def open_notebook_and_run_all(page, lab, notebook: str, *,
                              timeout_ms: int = RUN_ALL_TIMEOUT_MS) -> None:
    """Open ``notebook`` in JupyterLab, wait until its kernel is really connected, run all cells
    and wait until the kernel is idle again.

    "Run All" can be lost if clicked before the kernel connection is open, even when the status
    says idle, so wait for ``sessionContext.ready`` and the kernel's ``info`` first. The current
    widget must be ``notebook`` itself: the default workspace may restore another one first.
    """
    page.goto(f"{lab['url']}/lab/tree/notebooks/{notebook}?token={lab['token']}",
              timeout=timeout_ms)
    page.wait_for_function(
        f"""() => {{ const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                    return w && w.context && w.context.path.endsWith({json.dumps(notebook)})
                           && w.sessionContext && w.sessionContext.session
                           && w.sessionContext.session.kernel; }}""", timeout=timeout_ms)
    page.evaluate("""async () => { const w = window.jupyterapp.shell.currentWidget;
                                   await w.sessionContext.ready;
                                   await w.sessionContext.session.kernel.info; }""")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   const k = w.sessionContext.session.kernel;
                   const cells = w.content.widgets;
                   const pending = cells.some(c => c.model.type === 'code'
                        && (c.promptNode && /\\[\\*\\]/.test(c.promptNode.textContent)));
                   return k.status === 'idle' && !pending
                          && cells.filter(c => c.model.type === 'code')
                                  .every(c => c.model.executionCount !== null); }""",
        timeout=timeout_ms)


def wait_stable(page, reader: str, *, until: str = "true", quiet_ms: int = 1000,
                timeout_ms: int = 30_000):
    """Wait until the value ``v`` of the page function ``reader`` (JavaScript source, no
    arguments) satisfies the JavaScript condition ``until`` and its JSON has not changed for
    ``quiet_ms``; return that value.

    For checks of a settled page (the layout after a resize, the last frame after a pause)
    where no single condition marks "done", and a fixed sleep is too short on a busy machine.
    A value that never settles within ``timeout_ms`` fails the test, naming the last value.
    """
    key = json.dumps(f"k{abs(hash((reader, until)))}")
    page.evaluate(f"() => {{ (window.__caplabStable = window.__caplabStable || {{}})[{key}] "
                  f"= null; }}")
    try:
        handle = page.wait_for_function(
            f"""() => {{ const v = ({reader})(), now = performance.now();
                        const s = window.__caplabStable, last = s[{key}];
                        if (!(v && ({until}))) {{ s[{key}] = null; return false; }}
                        const j = JSON.stringify(v);
                        if (!last || last.j !== j) {{ s[{key}] = {{j, since: now}}; return false; }}
                        return now - last.since >= {quiet_ms} ? j : false; }}""",
            timeout=timeout_ms, polling=100)
    except Exception as exc:
        raise AssertionError(f"page never settled with {until!r} within {timeout_ms} ms "
                             f"({type(exc).__name__}); last value: "
                             f"{page.evaluate(reader)}") from None
    return json.loads(handle.json_value())
