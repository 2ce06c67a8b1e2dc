"""Helpers for driving JupyterLab in a real browser (a uniquely named module, importable from
tests as ``from browserkit import ...``)."""

from __future__ import annotations


def open_notebook_and_run_all(page, lab, notebook: str, *, timeout_ms: int = 120_000) -> None:
    """Open ``notebook`` in JupyterLab, wait until its kernel is really connected, run all cells
    and wait until the kernel is idle again.

    "Run All" can be lost if clicked before the kernel connection is open, even when the status
    says idle, so wait for ``sessionContext.ready`` and the kernel's ``info`` first.
    """
    page.goto(f"{lab['url']}/lab/tree/notebooks/{notebook}?token={lab['token']}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout_ms)
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   return w && w.sessionContext && w.sessionContext.session
                          && w.sessionContext.session.kernel; }""", timeout=timeout_ms)
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
