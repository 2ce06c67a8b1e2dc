"""MessageAnimation: step, back, go to an event, speed and play are wired to the frame shown,
and bad input is refused with the state unchanged."""

from __future__ import annotations

import pytest

from caplab.course import cp as cp_course
from caplab.errors import ConfigError
from caplab.widgets import MessageAnimation
from caplab.widgets.animated import SPEEDS


@pytest.fixture(scope="module")
def failover():
    return cp_course.failover(seed=1, w=1)


@pytest.fixture
def anim(failover):
    return MessageAnimation(failover.cluster, since_ms=failover.heal_ms,
                            until_ms=failover.heal_ms + 300, title="rollback")


def _title(a):
    return a.figure.layout.title.text


def test_step_and_back_buttons_change_the_frame_and_redraw(anim):
    """A click on step shows the next frame's time in the title; back returns to it."""
    first = _title(anim)
    assert f"t = {anim.times[0]} ms" in first and anim.frame == 0
    anim.step_button.click()
    assert anim.frame == 1 and f"t = {anim.times[1]} ms" in _title(anim)
    assert f"frame 2/{len(anim.times)}" in anim.readout.value
    anim.back_button.click()
    assert anim.frame == 0 and _title(anim) == first
    anim.back_button.click()                      # stays at the first frame
    assert anim.frame == 0 and anim.status.error is None


def test_goto_event_shows_the_rollback_happening(anim, failover):
    """Just before the rollback the old primary holds x='lost'; one step later it is cut off."""
    anim.goto_event("rollback", action="truncate")
    old = failover.old_primary
    assert "lost" in {e.value for e in anim.moment.nodes[old].log}
    anim.step()
    assert "lost" not in {e.value for e in anim.moment.nodes[old].log}
    assert "lost" in {e.value for e in anim.moment.nodes[old].cut}
    assert any("lost" in h for h in anim.figure.data[[t.name for t in anim.figure.data]
                                                     .index("rolled back")].hovertext)


def test_speed_and_play_are_wired_to_the_timer(anim):
    """The speed menu sets the browser timer's interval; play/pause toggles it and its label."""
    anim.speed.value = "4×"
    assert anim.player.interval == SPEEDS["4×"]
    anim.play()
    assert anim.player.playing and anim.play_button.description == "pause"
    anim.pause()
    assert not anim.player.playing and anim.play_button.description == "play"
    anim.player.value = 3                          # what the browser's timer does
    anim.slider.value = anim.player.value          # (jslinked in the browser)
    assert anim.frame == 3 and f"t = {anim.times[3]} ms" in _title(anim)


def test_frames_keep_their_traces_aligned(anim):
    """Every frame has the same traces in the same order (redraws update in place)."""
    names = [t.name for t in anim.figure.data]
    for _ in range(len(anim.times) - 1):
        anim.step()
        assert [t.name for t in anim.figure.data] == names
    assert anim.step() == len(anim.times) - 1     # stops at the last frame


def test_bad_input_is_refused_and_changes_nothing(anim, failover):
    """A frame out of range, an empty stretch, a bad step or speed name the value."""
    anim.step()
    with pytest.raises(ConfigError, match="frame must be"):
        anim.goto(len(anim.times))
    assert anim.frame == 1
    with pytest.raises(ConfigError, match="nothing happened"):
        MessageAnimation(failover.cluster, since_ms=10**7, until_ms=10**7 + 5)
    with pytest.raises(ConfigError, match="step_ms"):
        MessageAnimation(failover.cluster, step_ms=0)
    with pytest.raises(ConfigError, match="speed"):
        MessageAnimation(failover.cluster, speed="fast")
    with pytest.raises(ConfigError, match="no 'nope' event"):
        anim.goto_event("nope")


def test_fixed_step_frames(failover):
    """With step_ms the frames are evenly spaced in simulated time."""
    a = MessageAnimation(failover.cluster, since_ms=2800, until_ms=2820, step_ms=5)
    assert a.times == [2800, 2805, 2810, 2815, 2820]


def test_panel_event_log_leaves_out_oplog_events(failover):
    """The panels' event log does not list the oplog's entries (one per entry per member);
    role changes and rollbacks still show."""
    from caplab.widgets._common import event_log_html
    events = [e for e in failover.cluster.sim.trace.events if e.time_ms <= 2900]
    assert any(e.kind == "oplog" for e in events)
    log = event_log_html(events, last=40)
    assert "OPLOG" not in log and "ROLLBACK" in log
