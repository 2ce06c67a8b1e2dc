"""``CounterexampleStepper``: step through a linearizability verdict, Porcupine's way.

Each step places one more operation of the longest linearizable prefix at its linearization
point and shows the model's state after it; the last step of a violation shows the operations
that cannot go next and why. The figure is :func:`caplab.viz.counterexample.counterexample`;
this panel only wires the buttons to the step shown.

Example:
    >>> from caplab.check import check_linearizability
    >>> from caplab.course.checking import tiny_history
    >>> h = tiny_history("inversion")
    >>> s = CounterexampleStepper(h, check_linearizability(h))
    >>> s.step()
    1
    >>> s.state
    '1'
"""

from __future__ import annotations

import html

import ipywidgets as w

from ..errors import ConfigError
from ._common import Panel, Status, figure_widget, panel_style, redraw

__all__ = ["CounterexampleStepper"]


class CounterexampleStepper(Panel):
    """A linearizability result stepped through, operation by operation.

    Args:
        history: the checked history (a ``History``, a list of dicts or a DataFrame; the
            operations of the result's key are drawn).
        result: its :class:`~caplab.check.LinearizabilityResult` (when None, the history is
            checked here with the key-value model).
        step: the step shown first (default 0: nothing placed yet).

    Raises:
        ConfigError: a result without the walk of its prefix (``points``/``states``), or a
            step out of range.
    """

    def __init__(self, history, result=None, *, step: int = 0) -> None:
        from ..viz.counterexample import step_count
        if result is None:
            from ..check import check_linearizability
            result = check_linearizability(history)
        order = result.prefix if result.valid is not True else result.order
        if len(result.points) != len(order):
            raise ConfigError("this result carries no linearization points for its prefix; "
                              "check the history with caplab.check.check_linearizability")
        self.history, self.result = history, result
        self.count = step_count(result)
        self.status = Status()
        self.back_button = w.Button(description="back", icon="step-backward",
                                    tooltip="undo the last placed operation")
        self.step_button = w.Button(description="step", icon="step-forward",
                                    tooltip="place the next operation")
        self.last_button = w.Button(description="last", icon="fast-forward",
                                    tooltip="the end: what cannot be placed")
        self.slider = w.IntSlider(value=0, min=0, max=self.count - 1, description="step",
                                  continuous_update=False, layout=w.Layout(width="40%"))
        self.readout = w.HTML()
        self.back_button.on_click(self.status.guard(lambda _b: self.back()))
        self.step_button.on_click(self.status.guard(lambda _b: self.step()))
        self.last_button.on_click(self.status.guard(lambda _b: self.goto(self.count - 1)))
        self.slider.observe(self.status.guard(self._on_step), names="value")
        self._data = self._compute(0)
        self.figure = figure_widget(self._figure())
        self._show_readout()
        root = w.VBox([panel_style(),
                       w.HBox([self.back_button, self.step_button, self.last_button,
                               self.slider], layout=w.Layout(flex_flow="row wrap")),
                       self.readout, self.status.widget,
                       w.VBox([self.figure], layout=w.Layout(width="100%"))],
                      layout=w.Layout(width="100%"))
        root.add_class("caplab-panel")
        self._root = root
        if step:
            self.goto(step)

    def _compute(self, step: int) -> dict:
        from ..viz.counterexample import counterexample_data
        return counterexample_data(self.history, self.result, step=step)

    def _figure(self):
        from ..viz.counterexample import counterexample
        return counterexample(None, self.result, data=self._data)

    def _on_step(self, change) -> None:
        self._data = self._compute(change["new"])
        redraw(self.figure, self._figure())
        self._show_readout()

    def _show_readout(self) -> None:
        d = self._data
        shown = d["steps"][-4:]
        first = len(d["steps"]) - len(shown)
        placed = " → ".join(f"#{first + i + 1} {html.escape(s['label'])}"
                            for i, s in enumerate(shown))
        lines = [f"<b data-step='{d['step']}'>step {d['step']} of {self.count - 1}</b> · "
                 f"state: <code>{html.escape(str(d['state']))}</code>"]
        if placed:
            lines.append(f"placed: {'… ' if len(d['steps']) > 4 else ''}{placed}")
        for s in d["stuck"]:
            lines.append(f"<span style='color:#c0392b'>✗ {html.escape(s['reason'])}</span>")
        self.readout.value = "<br>".join(lines)

    # -- actions ---------------------------------------------------------------------------
    @property
    def current(self) -> int:
        """The step shown (0: nothing placed)."""
        return self.slider.value

    @property
    def state(self) -> str:
        """The model's state at the step shown, described."""
        return self._data["state"]

    @property
    def data(self) -> dict:
        """:func:`caplab.viz.counterexample.counterexample_data` at the step shown."""
        return self._data

    def goto(self, step: int) -> int:
        """Show ``step`` (negative counts from the end); return it.

        Raises:
            ConfigError: no such step (nothing changes).
        """
        n = self.count
        if isinstance(step, bool) or not isinstance(step, int) or not -n <= step < n:
            raise ConfigError(f"step must be a whole number in {-n}..{n - 1}, got {step!r}")
        self.slider.value = step % n
        return self.slider.value

    def step(self) -> int:
        """Place the next operation (stays at the last step); return the step shown."""
        return self.goto(min(self.count - 1, self.slider.value + 1))

    def back(self) -> int:
        """Undo the last placed operation (stays at step 0); return the step shown."""
        return self.goto(max(0, self.slider.value - 1))

    def _figure_widgets(self):
        return [self.figure]
