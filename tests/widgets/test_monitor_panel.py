"""MonitorPanel: the series grow as the shop runs, faults injected from the panel show as bands
and move the numbers (a whole service crashed opens the breaker, as resilience4j's breaker
opens at a failure rate at or above its threshold), the nemesis injects faults on its own, and
bad input is shown in the status area, never raised."""

from __future__ import annotations

from caplab.services.live import LiveShop
from caplab.widgets import MonitorPanel


def test_the_series_grow_as_the_panel_runs():
    """Each run adds windows to every series, and the figure is redrawn with them."""
    panel = MonitorPanel(seed=1, step_s=2)
    assert len(panel.series["t_ms"]) == 0
    panel.run_button.click()
    panel.run()
    assert len(panel.series["t_ms"]) == 4 and panel.shop.now == 4000
    assert len(panel.figure.data[0].x) == 4
    assert "data-windows='4'" in panel.readout.value


def test_play_runs_a_step_per_tick():
    """Each tick of the Play widget advances one step."""
    panel = MonitorPanel(seed=1, step_s=1)
    panel.play.value = 1
    panel.play.value = 2
    assert panel.shop.now == 2000


def test_crashing_the_whole_service_opens_the_breaker_and_draws_a_band():
    """With every sale instance crashed, the users' breaker opens; healing closes it; the
    crash is a band on the dashboard."""
    panel = MonitorPanel(seed=1)
    panel.run(5)
    panel.fault_box.value, panel.target_box.value = "crash", "all"
    panel.inject_button.click()
    panel.run(6)
    assert "OPEN" in panel.series["breaker"]
    panel.heal_button.click()
    panel.run(6)
    assert panel.series["breaker"][-1] == "CLOSED"
    assert (5000, 11000, "sale (all) crashed") in panel.series["faults"]
    bands = [s for s in panel.figure.layout.shapes if s.type == "rect"]
    assert bands


def test_every_fault_and_the_spike_can_be_injected_from_the_panel():
    """slow, failing, crash, partition on one instance, and the spike: each labelled (a crashed
    instance is replaced by the autoscaler, so the next fault hits the first live one)."""
    panel = MonitorPanel(seed=2)
    labels = []
    for fault in ("slow", "failing", "crash", "partition"):
        labels.append(panel.inject(fault, panel.shop.targets()[0]))
        panel.run(2)
        panel.heal()
    labels.append(panel.inject("spike"))
    panel.run(10)
    assert labels == ["sale-1 slow", "sale-1 failing", "sale-1 crashed", "sale-2 cut off",
                      "sale spike"]
    assert max(panel.series["instances"]) > 2          # the autoscaler answered the spike


def test_the_nemesis_injects_faults_by_itself():
    """Ticked, the nemesis crashes, slows, fails or cuts off instances on its own schedule."""
    panel = MonitorPanel(seed=2)
    panel.nemesis_box.value = True
    panel.run(40)
    assert panel.series["faults"]


def test_bad_input_is_shown_in_the_status_area():
    """An unknown instance is named in the status area; nothing is injected."""
    panel = MonitorPanel(seed=1)
    panel.target_box.options = ["sale-9", "all"]
    panel.target_box.value = "sale-9"
    panel.inject_button.click()
    assert "sale-9" in panel.status.text and panel.status.error is not None
    assert panel.shop.deployment.faults == []


def test_same_seed_same_clicks_same_series():
    """The facade is deterministic: the same seed and actions give the same series."""
    def run():
        shop = LiveShop(seed=3)
        shop.run_for(3000)
        shop.inject("failing", "all")
        return shop.run_for(5000)
    assert run() == run()


def test_the_panel_logs_its_actions_and_replaying_them_reproduces_the_series():
    """Like ClusterPanel's time slider (RaftScope-style rebuild): every click is logged with its
    times, and replaying the log on a fresh shop from the same seed gives the same series."""
    from caplab.widgets import replay
    panel = MonitorPanel(seed=4, step_s=2)
    panel.run_button.click()
    panel.fault_box.value, panel.target_box.value = "slow", "sale-2"
    panel.inject_button.click()
    panel.run(3)
    panel.nemesis_box.value = True
    panel.run(12)
    panel.heal_button.click()
    panel.inject("spike")
    panel.run(8)
    assert [a.name for a in panel.log.actions] == ["run_for", "inject", "run_for",
                                                   "set_nemesis", "run_for", "heal", "inject",
                                                   "run_for"]
    assert panel.log.actions[1].start_ms == 2000 and panel.log.actions[1].args == ("slow",
                                                                                   "sale-2")
    again = replay(panel.log, panel.shop.now)
    assert again.now == panel.shop.now
    assert again.series() == panel.series
    assert again.deployment.faults == panel.shop.deployment.faults


def test_replaying_part_of_the_log_stops_at_that_time():
    """Replay to a time inside a run: the rebuilt shop stands at that time, its series shorter."""
    from caplab.widgets import replay
    panel = MonitorPanel(seed=1)
    panel.run(4)
    panel.inject("crash", "all")
    panel.run(6)
    view = replay(panel.log, 7_000)
    assert view.now == 7_000 and len(view.series()["t_ms"]) == 7
    assert view.deployment.faults[0][2] == "sale (all) crashed"
