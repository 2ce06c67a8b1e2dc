"""``StalenessPanel``: PBS t-visibility live, with sliders for N, R, W and a latency preset.

Moving a slider re-runs the Monte Carlo of :mod:`caplab.analyses.staleness` (20,000 trials by
default, a few milliseconds) and redraws the curve in place, with the time after which 99.9% of
reads are consistent.
"""

from __future__ import annotations

import ipywidgets as ipw

from ._common import Panel, Status, figure_widget, panel_style, redraw

__all__ = ["StalenessPanel"]


class StalenessPanel(Panel):
    """Probability of a consistent read vs time since the write, for partial quorums.

    Args:
        n, r, w: replication factor and read / write quorums (1 <= r, w <= n).
        preset: a latency preset of :data:`caplab.analyses.staleness.PRESETS`.
        trials: Monte Carlo trials per curve.
        seed: the seed of the samples.
        p: the target probability shown (default 99.9%).

    Example:
        >>> StalenessPanel(n=3, r=1, w=1, preset="lnkd-disk")   # doctest: +SKIP
    """

    def __init__(self, *, n: int = 3, r: int = 1, w: int = 1, preset: str = "lnkd-disk",
                 trials: int = 20_000, seed: int = 1, p: float = 0.999) -> None:
        from ..analyses.staleness import PRESETS
        self.status = Status()
        self.trials, self.seed, self.p = trials, seed, p
        self._syncing = False
        style = {"description_width": "60px"}
        self.n_slider = ipw.IntSlider(value=n, min=1, max=10, description="N",
                                    continuous_update=False, style=style)
        self.r_slider = ipw.IntSlider(value=r, min=1, max=max(n, 1), description="R",
                                    continuous_update=False, style=style)
        self.w_slider = ipw.IntSlider(value=w, min=1, max=max(n, 1), description="W",
                                    continuous_update=False, style=style)
        self.preset_box = ipw.Dropdown(options=list(PRESETS), value=preset,
                                     description="latency", style=style)
        self.answer = ipw.HTML()
        guarded = self.status.guard(self._on_change)
        for widget in (self.n_slider, self.r_slider, self.w_slider, self.preset_box):
            widget.observe(guarded, names="value")
        self.figure = None
        self.t_at_p: float | None = None
        self.update()
        root = ipw.VBox([panel_style(), ipw.HTML("<h3>Staleness: how soon is a read consistent?"
                                             "</h3>"),
                       ipw.HBox([ipw.VBox([self.n_slider, self.r_slider, self.w_slider,
                                       self.preset_box]), self.answer]),
                       self.status.widget,
                       ipw.VBox([self.figure], layout=ipw.Layout(width="100%"))],
                       layout=ipw.Layout(width="100%"))
        root.add_class("caplab-panel")
        self._root = root

    def update(self, *, n: int | None = None, r: int | None = None, w: int | None = None,
               preset: str | None = None) -> float:
        """Recompute and redraw (arguments override the sliders and are written back).

        Returns:
            ``t`` in ms at which reads are consistent with probability ``p``.

        Raises:
            ConfigError / UnknownNameError: bad N, R, W or preset (the library's message);
            nothing is changed.
        """
        from ..analyses.staleness import consistent_immediately, t_at_probability, t_visibility
        from ..viz import t_visibility_curve
        n = self.n_slider.value if n is None else n
        r = self.r_slider.value if r is None else r
        w_ = self.w_slider.value if w is None else w
        preset = self.preset_box.value if preset is None else preset
        kw = dict(latency=preset, trials=self.trials, seed=self.seed)
        curve = t_visibility(n, r, w_, **kw)   # validates before anything changes
        t_at = t_at_probability(self.p, n, r, w_, **kw)
        p0 = consistent_immediately(n, r, w_, **kw)
        label = f"N={n}, R={r}, W={w_} ({preset})"
        fig = t_visibility_curve([(label, curve)], p=self.p)
        if self.figure is None:
            self.figure = figure_widget(fig)     # fills the width it is given
        else:
            redraw(self.figure, fig)
        self._set_sliders(n, r, w_, preset)
        self.t_at_p = t_at
        strict = "R + W > N: strict quorum, always consistent" if r + w_ > n else \
            "R + W ≤ N: partial quorum, reads can be stale"
        self.answer.value = (f"<div style='font-size:20px;padding:8px 24px'>"
                             f"t at {100 * self.p:g}%: <b data-t-at-p='{t_at:.3f}'>"
                             f"{t_at:.1f} ms</b><br>consistent at commit: {100 * p0:.1f}%"
                             f"<br><span style='font-size:16px'>{strict}</span></div>")
        return t_at

    def _set_sliders(self, n, r, w_, preset) -> None:
        self._syncing = True
        try:
            self.n_slider.value = n
            for slider, value in ((self.r_slider, r), (self.w_slider, w_)):
                if n > slider.max:
                    slider.max = n
                slider.value = value
                slider.max = n
            self.preset_box.value = preset
        finally:
            self._syncing = False

    def _on_change(self, change) -> None:
        if self._syncing:
            return
        n = self.n_slider.value
        # Keep R and W within 1..N when N shrinks (the sliders' bounds follow N).
        self.update(n=n, r=min(self.r_slider.value, n), w=min(self.w_slider.value, n))

    def _figure_widgets(self):
        return [self.figure] if self.figure is not None else []
