"""TxnPanel, in process: each choice runs its scenario and redraws the sequence diagram (with
the failure point), the lock timeline and the outcome with the checks; bad input is shown in
the status area and changes nothing."""

from __future__ import annotations

import pytest

from caplab.widgets import TxnPanel


@pytest.fixture(scope="module")
def panel():
    return TxnPanel(kind="2pc", crash_at="after_votes", seed=1)


def test_a_coordinator_crash_after_the_votes_blocks_then_aborts(panel):
    """After the votes: participants stay prepared with locks held and others wait (hatched
    and orange bars), then presumed abort; the failure point is starred."""
    sc = panel.run(kind="2pc", crash_at="after_votes")
    assert sc.outcome == "aborted" and sc.ok
    assert sc.blocked_ms > 1000 and sc.waiting_peak >= 2
    assert "data-outcome='aborted'" in panel.outcome.value
    star = [t for t in panel.figures["sequence"].data if t.name == "failure point"][0]
    assert any("crashes after votes" in c[2] for c in star.customdata)
    locks = {t.name: t for t in panel.figures["locks"].data}
    assert len(locks["waiting"].base) >= 2
    assert "after votes" in panel.figures["locks"].layout.title.text


def test_the_controls_drive_the_run_and_show_the_seed_managers_violation(panel):
    """Choosing saga, a failing inventory step and the seed manager, then clicking run, shows
    the violated checks in red; the correct manager's run holds."""
    panel.kind_box.value = "saga"
    panel.step_box.value = "inventory"
    panel.manager_box.value = "seed"
    panel.run_button.click()
    assert panel.status.error is None, panel.status.text
    assert panel.scenario.kind == "saga" and not panel.scenario.ok
    assert "data-valid='false'" in panel.outcome.value and "VIOLATED" in panel.outcome.value
    assert panel.phase_box.layout.display == "none" and panel.step_box.layout.display is None
    good = panel.run(manager="correct")
    assert good.ok and good.outcome == "compensated"
    assert "data-valid='false'" not in panel.outcome.value


@pytest.mark.parametrize("phase, outcome", [
    ("before_prepare", "unknown"), ("after_decision", "committed"),
    ("during_commit", "committed"), (None, "committed")])
def test_every_phase_is_atomic(panel, phase, outcome):
    """Whatever the phase, the correct 2PC ends atomic and the figures are redrawn in place."""
    widget = panel.figures["sequence"]
    sc = panel.run(kind="2pc", crash_at=phase)
    assert sc.outcome == outcome and sc.ok
    assert panel.figures["sequence"] is widget
    stars = [t for t in widget.data if t.name == "failure point"]
    assert bool(stars and len(stars[0].y)) == (phase is not None)


def test_bad_input_is_shown_and_changes_nothing(panel):
    """An unknown phase raises from run() and, from a click, shows the library's message."""
    before = panel.scenario
    with pytest.raises(Exception, match="unknown phase 'sideways'"):
        panel.run(kind="2pc", crash_at="sideways")
    assert panel.scenario is before
    panel.kind_box.value = "2pc"
    panel.phase_box.options = list(panel.phase_box.options) + [("sideways", "sideways")]
    panel.phase_box.value = "sideways"
    panel.run_button.click()
    assert "unknown phase 'sideways'" in panel.status.text and panel.scenario is before
