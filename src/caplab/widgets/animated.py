"""``MessageAnimation``: watch a run, RaftScope's way, with play, pause, step, back and speed.

The frames are the moments of :class:`caplab.kv.timeline_state.Timeline` (by default every
instant at which a message was sent, delivered or dropped, or a member's state changed), drawn
by :func:`caplab.viz.raftscope.raftscope`. Playing is done in the browser by an ipywidgets
``Play`` timer that advances the frame slider; each frame change redraws the figure in place.
Nothing here runs the simulation: the run is over, the trace is replayed.

Example:
    >>> from caplab.course import cp
    >>> f = cp.failover(seed=1, w=1)
    >>> anim = MessageAnimation(f.cluster, since_ms=f.heal_ms, until_ms=f.heal_ms + 300)
    >>> anim.goto_event("rollback") >= 0
    True
"""

from __future__ import annotations

import ipywidgets as w

from ..errors import ConfigError
from ._common import Panel, Status, figure_widget, panel_style, redraw

__all__ = ["MessageAnimation", "SPEEDS"]

#: speed label -> milliseconds of wall time per frame when playing
SPEEDS = {"0.25×": 1200, "0.5×": 600, "1×": 300, "2×": 150, "4×": 75}


class MessageAnimation(Panel):
    """An animated message view of a finished run.

    Args:
        source: a Cluster (or any system with ``nodes``, ``roles()`` and ``sim.trace``), or a
            :class:`~caplab.kv.timeline_state.Timeline`.
        since_ms, until_ms: the stretch to show (default: the whole run).
        step_ms: a frame every ``step_ms`` ms instead of one per event instant.
        title: shown after each frame's caption.
        speed: a key of :data:`SPEEDS`.

    Raises:
        ConfigError: an empty stretch (no frame), a bad ``step_ms`` or an unknown speed.

    Attributes:
        times: the frames' times in ms. ``frame`` is the current frame's index.
    """

    def __init__(self, source, *, since_ms: int = 0, until_ms: int | None = None,
                 step_ms: int | None = None, title: str = "", speed: str = "1×") -> None:
        from ..kv.timeline_state import Timeline
        if speed not in SPEEDS:
            raise ConfigError(f"speed {speed!r} is not one of {list(SPEEDS)}")
        timeline = source if isinstance(source, Timeline) else Timeline.of(source)
        until = timeline.end_ms if until_ms is None else until_ms
        if step_ms is not None:
            if isinstance(step_ms, bool) or not isinstance(step_ms, int) or step_ms < 1:
                raise ConfigError(f"step_ms must be a positive whole number of ms, got "
                                  f"{step_ms!r}")
            times = list(range(since_ms, until + 1, step_ms))
        else:
            times = timeline.event_times(since_ms, until)
        if not times:
            raise ConfigError(f"nothing happened between {since_ms} and {until} ms (the run "
                              f"ends at {timeline.end_ms} ms); widen the stretch")
        self.timeline, self.times, self.title = timeline, times, title
        self.moments = timeline.moments(times)
        self._fixed = self._fixed_axes()
        self.status = Status()
        self._build_controls(speed)
        self.figure = figure_widget(self._draw(0))
        self._root = self._layout()

    # -- what is drawn -----------------------------------------------------------------------
    def _fixed_axes(self) -> dict:
        """Message kinds and the log's width over every frame, so frames line up."""
        from ..viz.bands import fault_bands
        from ..viz.raftscope import COLUMNS
        moments = self.moments
        kinds = sorted({f.kind for m in moments for f in m.flying})
        last = max([1] + [len(s.log) for m in moments for s in m.nodes.values()]
                   + [s.cut[-1].index for m in moments for s in m.nodes.values() if s.cut])
        if last > COLUMNS:
            first = last = None     # longer logs: each frame shows its newest entries
        else:
            first = 1               # short logs: the same columns in every frame
        faults = fault_bands(self.timeline.events, until_ms=self.timeline.end_ms)
        return {"kinds": kinds, "last_index": last, "first_index": first, "faults": faults}

    def _draw(self, frame: int):
        from ..viz.raftscope import raftscope, raftscope_data
        f = self._fixed
        data = raftscope_data(self.moments[frame], self.timeline.nodes, kinds=f["kinds"],
                              first_index=f["first_index"], last_index=f["last_index"])
        return raftscope(None, data=data, title=self.title, faults=f["faults"])

    # -- controls ------------------------------------------------------------------------------
    def _build_controls(self, speed: str) -> None:
        last = len(self.times) - 1
        # The timer lives in the browser (no kernel thread): Play advances the slider.
        self.player = w.Play(value=0, min=0, max=last, step=1, interval=SPEEDS[speed],
                             show_repeat=False, layout=w.Layout(width="1px", visibility="hidden"))
        self.slider = w.IntSlider(value=0, min=0, max=last, description="frame",
                                  readout=False, continuous_update=True,
                                  layout=w.Layout(width="45%"))
        w.jslink((self.player, "value"), (self.slider, "value"))
        self.play_button = w.ToggleButton(value=False, description="play", icon="play",
                                          tooltip="play / pause")
        w.jslink((self.play_button, "value"), (self.player, "playing"))
        self.play_button.observe(self._relabel, names="value")
        self.step_button = w.Button(description="step", icon="step-forward",
                                    tooltip="one frame forward")
        self.back_button = w.Button(description="back", icon="step-backward",
                                    tooltip="one frame back")
        self.speed = w.Dropdown(options=list(SPEEDS), value=speed, description="speed",
                                layout=w.Layout(width="170px"),
                                style={"description_width": "50px"})
        self.readout = w.HTML()
        self.step_button.on_click(self.status.guard(lambda _b: self.step()))
        self.back_button.on_click(self.status.guard(lambda _b: self.back()))
        self.speed.observe(self.status.guard(self._on_speed), names="value")
        self.slider.observe(self.status.guard(self._on_frame), names="value")
        self._show_readout()

    def _layout(self):
        controls = w.HBox([self.play_button, self.back_button, self.step_button, self.speed,
                           self.slider, self.readout, self.player],
                          layout=w.Layout(flex_flow="row wrap", align_items="center"))
        root = w.VBox([panel_style(), controls, self.status.widget,
                       w.VBox([self.figure], layout=w.Layout(width="100%"))],
                      layout=w.Layout(width="100%"))
        root.add_class("caplab-panel")
        root.add_class("caplab-animation")
        return root

    def _relabel(self, change) -> None:
        playing = bool(change["new"])
        self.play_button.description = "pause" if playing else "play"
        self.play_button.icon = "pause" if playing else "play"

    def _on_speed(self, change) -> None:
        self.player.interval = SPEEDS[change["new"]]

    def _on_frame(self, change) -> None:
        redraw(self.figure, self._draw(change["new"]))
        self._show_readout()

    def _show_readout(self) -> None:
        i = self.slider.value
        self.readout.value = (f"<span data-frame='{i}'>frame {i + 1}/{len(self.times)} · "
                              f"t = {self.times[i]} ms</span>")

    # -- actions (what the buttons do) ---------------------------------------------------------
    @property
    def frame(self) -> int:
        """The current frame's index."""
        return self.slider.value

    @property
    def time_ms(self) -> int:
        """The current frame's time."""
        return self.times[self.slider.value]

    @property
    def moment(self):
        """The current :class:`~caplab.kv.timeline_state.Moment`."""
        return self.moments[self.slider.value]

    def goto(self, frame: int) -> int:
        """Show frame ``frame`` (negative counts from the end); return it.

        Raises:
            ConfigError: no such frame (nothing changes).
        """
        n = len(self.times)
        if isinstance(frame, bool) or not isinstance(frame, int) or not -n <= frame < n:
            raise ConfigError(f"frame must be a whole number in {-n}..{n - 1}, got {frame!r}")
        self.slider.value = frame % n
        return self.slider.value

    def step(self, n: int = 1) -> int:
        """``n`` frames forward (stops at the last); return the frame shown."""
        return self.goto(min(len(self.times) - 1, self.slider.value + max(1, int(n))))

    def back(self, n: int = 1) -> int:
        """``n`` frames back (stops at the first); return the frame shown."""
        return self.goto(max(0, self.slider.value - max(1, int(n))))

    def goto_time(self, t_ms: int) -> int:
        """Show the last frame at or before ``t_ms`` (the first if none); return it."""
        frame = max([i for i, t in enumerate(self.times) if t <= t_ms] or [0])
        return self.goto(frame)

    def goto_event(self, kind: str, *, before: bool = True, **fields) -> int:
        """Show the frame just before (or, ``before=False``, at) the first trace event of
        ``kind`` in the stretch whose data match ``fields`` (e.g. ``action="truncate"``).

        Raises:
            ConfigError: no such event in the stretch.
        """
        lo, hi = self.times[0], self.times[-1]
        for e in self.timeline.events:
            if e.kind == kind and lo <= e.time_ms <= hi and all(
                    e.data.get(k) == v for k, v in fields.items()):
                frames = [i for i, t in enumerate(self.times)
                          if (t < e.time_ms if before else t >= e.time_ms)]
                return self.goto(frames[-1] if before and frames else
                                 frames[0] if frames else 0)
        raise ConfigError(f"no {kind!r} event with {fields} between {lo} and {hi} ms")

    def play(self, playing: bool = True) -> None:
        """Start (or stop) playing: what the play/pause button does (the browser advances the
        frames; without a browser nothing moves)."""
        self.play_button.value = bool(playing)
        self.player.playing = bool(playing)

    def pause(self) -> None:
        """Stop playing."""
        self.play(False)

    def _figure_widgets(self):
        return [self.figure]
