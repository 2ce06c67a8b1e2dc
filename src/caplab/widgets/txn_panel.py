"""``TxnPanel``: break a transaction across services and watch what happens.

Choose two-phase commit or a saga; for 2PC, the phase at which the coordinator crashes (before
prepare, after the votes, after the decision is logged, during commit); for a saga, the step
that fails and the manager (the correct one, or the source material's seed manager). *Run*
plays the scenario of :mod:`caplab.txn.scenario` and draws the sequence diagram with the
failure point, the locks held and transactions waiting, and the outcome with the checkers'
verdicts. No protocol logic here: the scenario runs in :mod:`caplab.txn`, the views come from
:mod:`caplab.viz.txn`.
"""

from __future__ import annotations

import ipywidgets as ipw

from ._common import Panel, Status, figure_widget, panel_style, redraw

__all__ = ["TxnPanel"]

KINDS = ("2pc", "saga")


class TxnPanel(Panel):
    """A 2PC round or an order saga, with a failure you choose.

    Args:
        kind: ``"2pc"`` or ``"saga"``.
        crash_at: the 2PC coordinator's crash phase (None: no crash).
        fail_step: the saga step that fails (a service name, or None).
        manager: ``"correct"`` or ``"seed"``.
        seed: the seed of every run.

    Raises:
        UnknownNameError: a bad kind, phase, step or manager (the library's message).

    Example:
        >>> TxnPanel(kind="2pc", crash_at="after_votes")       # doctest: +SKIP
    """

    def __init__(self, *, kind: str = "2pc", crash_at: str | None = "after_votes",
                 fail_step: str | None = "inventory", manager: str = "seed",
                 seed: int = 1) -> None:
        from ..txn.scenario import CRASH_PHASES, SAGA_STEPS
        self.seed = seed
        self.status = Status()
        style = {"description_width": "150px"}
        self.kind_box = ipw.ToggleButtons(options=list(KINDS), value="2pc",
                                          description="protocol", style=style)
        self.phase_box = ipw.Dropdown(
            options=[("no crash" if p is None else p.replace("_", " "), p)
                     for p in CRASH_PHASES], value=None, description="crash coordinator",
            style=style, layout=ipw.Layout(width="340px"))
        self.step_box = ipw.Dropdown(options=[("no step fails" if s is None else s, s)
                                              for s in SAGA_STEPS], value=None,
                                     description="failing step", style=style,
                                     layout=ipw.Layout(width="340px"))
        self.manager_box = ipw.ToggleButtons(options=["correct", "seed"], value="correct",
                                             description="manager", style=style)
        self.run_button = ipw.Button(description="run", button_style="primary")
        self.run_button.on_click(self.status.guard(lambda _: self.run()))
        self.kind_box.observe(self.status.guard(lambda _: self._show_choices()), names="value")
        self.outcome = ipw.HTML()
        self.figures: dict = {"sequence": None, "locks": None}
        self.scenario = None
        self.run(kind=kind, crash_at=crash_at, fail_step=fail_step, manager=manager)
        # The controls keep their width (a 340 px dropdown); the outcome takes the rest and
        # wraps, so at a laptop's 1366 px nothing is clipped or pushed off the right edge.
        controls = ipw.VBox([self.kind_box, self.phase_box, self.step_box, self.manager_box,
                             self.run_button], layout=ipw.Layout(flex="0 0 350px"))
        self.outcome.layout = ipw.Layout(flex="1 1 auto", min_width="0")
        # width 100% plus the widget margins stuck out 2 px; the VBox stretches it anyway
        self.status.widget.layout.width = "auto"
        root = ipw.VBox([panel_style(), ipw.HTML("<h3>Transactions across services: break one"
                                                 "</h3>"),
                         ipw.HBox([controls, self.outcome]), self.status.widget,
                         ipw.VBox([self.figures["sequence"], self.figures["locks"]],
                                  layout=ipw.Layout(width="100%"))],
                        layout=ipw.Layout(width="100%"))
        root.add_class("caplab-panel")
        self._root = root

    def _show_choices(self) -> None:
        saga = self.kind_box.value == "saga"
        self.phase_box.layout.display = "none" if saga else None
        self.step_box.layout.display = None if saga else "none"
        self.manager_box.layout.display = None if saga else "none"

    def run(self, *, kind: str | None = None, crash_at=..., fail_step=..., manager=None):
        """Run the chosen scenario and redraw (arguments override the controls and are
        written back to them).

        Returns:
            the :class:`~caplab.txn.scenario.Scenario` (``.outcome``, ``.checks``, ``.ok``).

        Raises:
            UnknownNameError: a bad kind, phase, step or manager; nothing changes.
        """
        from ..errors import UnknownNameError
        from ..txn.report import lock_timeline_data, protocol_marks
        from ..txn.scenario import run_saga, run_twopc
        from ..viz.txn import lock_timeline, outcome_html, txn_sequence
        kind = self.kind_box.value if kind is None else kind
        crash_at = self.phase_box.value if crash_at is ... else crash_at
        fail_step = self.step_box.value if fail_step is ... else fail_step
        manager = self.manager_box.value if manager is None else manager
        if kind not in KINDS:
            raise UnknownNameError("protocol", kind, KINDS)
        if kind == "2pc":
            sc = run_twopc(crash_at, seed=self.seed)
        else:
            sc = run_saga(fail_step, manager=manager, seed=self.seed)
        trace = sc.system.sim.trace
        marks = protocol_marks(trace)
        until = min(sc.system.now, max((m["time_ms"] for m in marks), default=0) + 15)
        nodes = sc.system.nodes + sorted(sc.system.world.clients)
        built = {"sequence": txn_sequence(trace, marks, until_ms=until, nodes=nodes,
                                          height=560),
                 "locks": lock_timeline(lock_timeline_data(sc.system), height=320)}
        for name, fig in built.items():
            fig.update_layout(title={"text": f"{fig.layout.title.text or name} · {sc.title}"})
            if self.figures[name] is None:
                self.figures[name] = figure_widget(fig)
            else:
                redraw(self.figures[name], fig)
        self.outcome.value = outcome_html(sc.title, sc.outcome, sc.failure, sc.failure_ms,
                                          sc.checks)
        self.scenario = sc
        self._write_back(kind, crash_at, fail_step, manager)
        verdict = "every check holds" if sc.ok else "a check fails"
        self.status.info(f"ran {sc.title}: {sc.outcome}; {verdict}")
        return sc

    def _write_back(self, kind, crash_at, fail_step, manager) -> None:
        self.kind_box.value = kind
        self.phase_box.value = crash_at
        self.step_box.value = fail_step
        self.manager_box.value = manager
        self._show_choices()
