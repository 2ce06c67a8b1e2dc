"""SideBySidePanel (CP vs AP under one workload and one fault schedule) and StalenessPanel
(t-visibility sliders), driven through their widgets."""

from __future__ import annotations

import pytest

from caplab.analyses.staleness import t_at_probability
from caplab.widgets import CompareAndContrast, SideBySidePanel, StalenessPanel


@pytest.fixture(scope="module")
def compared():
    return SideBySidePanel(seed=1, nodes=5, fault="split minority|majority",
                           ap_consistency="one")


def bar_values(fig, label):
    return {t.meta["metric"]: t.meta["value"] for t in fig.data
            if t.meta and t.meta.get("label") == label}


def test_both_clusters_got_the_same_fault_schedule(compared):
    """The nemesis applied the same faults at the same times on CP and AP."""
    assert compared.schedule[0][1] == "partition" and compared.schedule[1][1] == "heal"
    cp_faults = [(e.time_ms, e.detail) for e in compared.cp.sim.trace.events
                 if e.kind == "nemesis"]
    ap_faults = [(e.time_ms, e.detail) for e in compared.ap.sim.trace.events
                 if e.kind == "nemesis"]
    assert cp_faults == ap_faults and len(cp_faults) == 2


def test_cp_stays_consistent_and_ap_stays_available_under_a_split(compared):
    """Under a minority|majority split, CP's history is linearizable and AP (ONE) answers
    (nearly) every operation but serves stale reads."""
    cp, ap = compared.summaries["CP"], compared.summaries["AP"]
    assert cp["linearizable"] is True and cp["stale_reads"] == 0
    assert ap["ok"] >= 0.95 * ap["ops"]
    assert ap["stale_reads"] > 0 and ap["linearizable"] is False
    bars = compared.figures["bars"]
    assert bar_values(bars, "AP")["stale_reads"] == ap["stale_reads"]
    assert bar_values(bars, "CP")["stale_reads"] == 0
    assert "NOT linearizable" in compared.verdicts.value


def test_timelines_show_both_histories_with_ap_violations(compared):
    """Both timelines are drawn; AP's marks the operations that break linearizability."""
    cp_tl, ap_tl = compared.figures["cp_timeline"], compared.figures["ap_timeline"]
    assert cp_tl.layout.title.text.startswith("CP")
    assert ap_tl.layout.title.text.startswith("AP")
    violating = next(t for t in ap_tl.data if t.name == "violating ops")
    assert len(violating.x) > 0


def test_run_button_reruns_with_the_dropdown_choices():
    """Changing the fault dropdown and clicking run redraws the same figure objects."""
    panel = CompareAndContrast(seed=2, nodes=3, duration_ms=1000, run=False)
    bars = panel.figures["bars"]
    panel.fault_box.value = "crash primary"
    panel.run_button.click()
    assert panel.status.error is None
    assert panel.schedule[0][1] == "crash"
    assert panel.figures["bars"] is bars and len(bars.data) > 0
    assert panel.summaries["CP"]["ops"] > 0


def test_bad_setting_is_shown_in_the_panel():
    """A duration too short is answered in the status area; nothing runs."""
    panel = SideBySidePanel(seed=1, nodes=3, run=False)
    panel.duration_box.value = 5
    panel.run_button.click()
    assert "duration_ms must be" in panel.status.text
    assert panel.cp is None


def test_bad_node_count_shows_the_library_message():
    """nodes=0 is answered with caplab's own message."""
    panel = SideBySidePanel(seed=1, nodes=3, run=False)
    panel.nodes_box.value = 0
    panel.run_button.click()
    assert "nodes must be between 1 and 50, got 0" in panel.status.text


def test_staleness_sliders_redraw_the_curve_and_the_answer():
    """Moving W redraws the t-visibility curve in place and updates 't at 99.9%'."""
    panel = StalenessPanel(n=3, r=1, w=1, preset="lnkd-disk", trials=5_000)
    fig = panel.figure
    first = panel.t_at_p
    assert first == pytest.approx(t_at_probability(0.999, 3, 1, 1, latency="lnkd-disk",
                                                   trials=5_000, seed=1))
    assert "N=3, R=1, W=1" in fig.data[0].name
    panel.w_slider.value = 3
    assert panel.status.error is None
    assert panel.figure is fig
    assert "W=3" in fig.data[0].name
    assert panel.t_at_p == 0.0                       # R + W > N: a strict quorum
    assert "strict quorum" in panel.answer.value


def test_staleness_shrinking_n_keeps_r_and_w_valid():
    """Lowering N below R pulls R down with it."""
    panel = StalenessPanel(n=5, r=4, w=1, trials=2_000)
    panel.n_slider.value = 2
    assert panel.status.error is None
    assert panel.r_slider.value == 2 and panel.r_slider.max == 2
    panel.preset_box.value = "wan"
    assert "wan" in panel.figure.data[0].name


def _markdown(notebook: str) -> str:
    import json
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "notebooks" / f"{notebook}.ipynb"
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                     if c["cell_type"] == "markdown")


def test_notebook_02_describes_the_panel_it_shows():
    """Notebook 02 says the panel starts with a minority|majority split over the middle half
    of a 6000 ms run (not the notebook's own scenario): that is what SideBySidePanel(seed=1,
    nodes=3, clients=3) does."""
    assert "`split minority|majority` fault over the middle half of a 6000 ms" in \
        _markdown("02-cap-in-practice")
    panel = SideBySidePanel(seed=1, nodes=3, clients=3)
    assert panel.fault_box.value == "split minority|majority"
    assert panel.duration_box.value == 6000
    (start, action, minority, majority), (end, heal) = panel.schedule
    warm = panel.warmup_ms
    assert (action, heal) == ("partition", "heal")
    assert (start - warm, end - warm) == (6000 // 4, 3 * 6000 // 4)


def test_default_fault_lets_the_majority_side_keep_working(compared):
    """Default split (3 s): the CP majority elects a primary and its clients' writes succeed
    inside the fault window, well before the heal (MongoDB: a majority partition elects)."""
    start, end = compared.schedule[0][0], compared.schedule[1][0]
    assert end - start >= 3000
    majority = set(compared.schedule[0][3])
    near = {name: c.near for name, c in compared.cp.clients.items()}
    ok_in_fault = [op for op in compared.cp.history.ops
                   if op.op == "put" and op.outcome == "ok" and near.get(op.client) in majority
                   and start < op.invoke_ms and op.complete_ms < end]
    assert len(ok_in_fault) >= 5


def test_notebook_05_names_the_staleness_panel_dropdown_by_its_label():
    """Notebook 05 tells students to use the `latency` dropdown: that is its label."""
    assert StalenessPanel().preset_box.description == "latency"
    assert "`latency` dropdown" in _markdown("05-eventual-consistency-measured")


def test_bars_show_the_worst_client_during_the_faults(compared):
    """The panel passes the fault window (first fault to heal): under a split a CP client
    stuck with the old primary answers (almost) nothing in it although CP's overall share is
    high; the bars get a fourth panel with that worst client."""
    from caplab.widgets.compare import fault_window
    start, end = compared.schedule[0][0], compared.schedule[1][0]
    assert fault_window(compared.schedule) == (start, end)
    assert fault_window([]) is None
    cp, ap = compared.summaries["CP"], compared.summaries["AP"]
    assert cp["window"] == (start, end)
    assert cp["worst_client_ok_share"] <= 0.5 < 0.9 < cp["ok"] / cp["ops"]
    assert ap["worst_client_ok_share"] > cp["worst_client_ok_share"]
    bars = compared.figures["bars"]
    assert bar_values(bars, "CP")["worst_client"] == round(100 * cp["worst_client_ok_share"], 1)
    assert "worst client during faults" in compared.verdicts.value


def test_ap_consistency_label_is_not_cut():
    """The dropdown's description has room for "AP consistency"."""
    panel = SideBySidePanel(seed=1, nodes=3, run=False)
    assert int(panel.level_box.style.description_width.rstrip("px")) >= 130


def test_fault_schedule_is_written_for_people(compared):
    """The schedule line names the sides as plain lists of nodes, not Python reprs."""
    text = compared.schedule_box.value
    (t0, _, side_a, side_b), (t1, _) = compared.schedule
    assert "[" not in text and "'" not in text
    assert f"{t0} ms: partition {', '.join(side_a)} | {', '.join(side_b)}" in text
    assert f"{t1} ms: heal" in text
