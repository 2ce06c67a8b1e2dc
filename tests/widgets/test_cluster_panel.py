"""ClusterPanel driven like a student would (button clicks, form values), checked against both
the cluster and the data of the figures it shows."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from caplab.errors import ConfigError
from caplab.kv import Cluster
from caplab.widgets import ClusterPanel


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def nodes_in_role(panel, role):
    t = trace(panel.figures["graph"], role)
    return sorted(row[0] for row in (t.customdata or ()))


def button(panel, description):
    for b in panel.node_buttons.values():
        if b.description == description:
            return b
    for b in panel.preset_buttons:
        if b.description == description:
            return b
    raise LookupError(description)


@pytest.fixture
def cp():
    return ClusterPanel(mode="cp", nodes=5, seed=1)


@pytest.fixture
def ap():
    return ClusterPanel(mode="ap", nodes=5, seed=1)


def test_new_cp_panel_has_a_primary_and_shows_it(cp):
    """A new CP panel warms up until a primary is elected and the graph's title names it."""
    primary = cp.cluster.primary
    assert primary is not None
    assert nodes_in_role(cp, "primary") == [primary]
    assert f"primary: {primary}" in cp.figures["graph"].layout.title.text


def test_crash_button_crashes_the_node_and_the_graph_shows_it_down(cp):
    """Clicking 'crash n2' takes n2 down in the cluster and in the cluster graph."""
    graph = cp.figures["graph"]
    button(cp, "crash n2").click()
    assert cp.status.error is None
    assert not cp.cluster.network.is_up("n2")
    assert cp.cluster.roles()["n2"] == "down"
    assert "n2" in nodes_in_role(cp, "down")
    assert cp.figures["graph"] is graph          # updated in place, never rebuilt
    assert cp.node_buttons["n2"].description == "restart n2"


def test_crash_button_toggles_back_to_restart(cp):
    """A second click on the same button restarts the node."""
    cp.node_buttons["n2"].click()
    cp.node_buttons["n2"].click()
    assert cp.cluster.network.is_up("n2")
    assert "n2" not in nodes_in_role(cp, "down")
    assert cp.node_buttons["n2"].description == "crash n2"


def test_isolate_primary_preset_draws_the_cut_links(cp):
    """'isolate primary' cuts every link of the primary, and the graph draws those cuts."""
    primary = cp.cluster.primary
    assert cp.figures["graph"].data[1].meta["pairs"] == []
    button(cp, "isolate primary").click()
    pairs = trace(cp.figures["graph"], "cut link").meta["pairs"]
    others = [n for n in cp.cluster.nodes if n != primary]
    assert sorted(tuple(sorted(p)) for p in pairs if "alice" not in p) == sorted(
        tuple(sorted((primary, n))) for n in others)
    assert not cp.cluster.network.reachable(primary, others[0])
    assert "isolated" in cp.status.text


def test_split_preset_puts_the_primary_in_the_minority(cp):
    """'split 2|3' separates two nodes (one of them the primary) from three."""
    primary = cp.cluster.primary
    button(cp, "split 2|3").click()
    groups = [g for g in cp.cluster.network.groups() if any(n.startswith("n") for n in g)]
    sizes = sorted(len([n for n in g if n in cp.cluster.nodes]) for g in groups)
    assert sizes == [2, 3]
    minority = next(g for g in groups if len([n for n in g if n in cp.cluster.nodes]) == 2)
    assert primary in minority
    assert trace(cp.figures["graph"], "cut link").meta["pairs"]


def test_heal_preset_removes_the_cuts(cp):
    """'heal' removes every cut from the cluster and from the graph."""
    button(cp, "isolate primary").click()
    button(cp, "heal").click()
    assert not cp.cluster.network.partitioned
    assert trace(cp.figures["graph"], "cut link").meta["pairs"] == []


def test_free_sides_partition_the_chosen_nodes(cp):
    """Choosing sides A/B per node and clicking 'apply sides' partitions exactly so."""
    for node, side in zip(cp.cluster.nodes, "AABBB"):
        cp.side_buttons[node].value = side
    cp.sides_apply.click()
    net = cp.cluster.network
    assert net.reachable("n1", "n2") and net.reachable("n3", "n5")
    assert not net.reachable("n1", "n3") and not net.reachable("n4", "n2")


def test_free_sides_with_one_empty_side_is_refused_in_the_status(cp):
    """All nodes on one side is answered in the status area and changes nothing."""
    for node in cp.cluster.nodes:
        cp.side_buttons[node].value = "A"
    cp.sides_apply.click()
    assert "each side" in cp.status.text
    assert not cp.cluster.network.partitioned


def test_put_and_get_from_the_form(cp):
    """The form's put and get reach the cluster, show the result and feed the timeline."""
    cp.key_box.value, cp.value_box.value = "x", "7"
    cp.put_button.click()
    assert cp.status.error is None
    assert "ok" in cp.result_box.value
    assert cp.value_box.value == "8"             # the next write is a new value
    cp.get_button.click()
    assert "value=7" in cp.result_box.value
    ops = cp.cluster.history.ops
    assert [(o.op, o.key, o.outcome) for o in ops] == [("put", "x", "ok"), ("get", "x", "ok")]
    ok_bars = trace(cp.figures["timeline"], "ok")
    assert sorted(ok_bars.meta["ops"]) == [0, 1]
    assert "x=7" in "".join(trace(cp.figures["graph"], "primary").text)


def test_form_passes_the_modes_options(cp):
    """CP write concern and read preference typed in the form reach the operation."""
    cp.option_boxes["w"].value = "1"
    cp.option_boxes["wtimeout_ms"].value = "300"
    cp.put_button.click()
    cp.option_boxes["read_preference"].value = "secondary"
    cp.get_button.click()
    put, get = cp.cluster.history.ops
    assert put.options["w"] == 1 and put.options["wtimeout_ms"] == 300
    assert get.options["read_preference"] == "secondary"


def test_bad_write_concern_shows_the_library_message_and_changes_nothing(cp):
    """w=9 on five nodes: the panel shows caplab's own message; nothing ran or was logged."""
    before = (cp.cluster.now, len(cp.cluster.history), len(cp.log), len(cp.cluster.sim.trace))
    cp.option_boxes["w"].value = "9"
    cp.put_button.click()
    with pytest.raises(ConfigError) as expected:
        cp.cluster.client("alice", near="n1").put("x", 1, w=9)
    assert str(expected.value) in cp.status.text
    assert "ConfigError" in cp.status.widget.value and "c0392b" in cp.status.widget.value
    assert (cp.cluster.now, len(cp.cluster.history), len(cp.log)) == before[:3]


def test_bad_linearizable_read_shows_the_library_message(cp):
    """read_concern linearizable with a secondary read preference is refused with the reason."""
    cp.option_boxes["read_preference"].value = "secondary"
    cp.option_boxes["read_concern"].value = "linearizable"
    cp.get_button.click()
    assert "MongoDB serves linearizable reads on the primary only" in cp.status.text
    assert len(cp.cluster.history) == 0


def test_empty_key_shows_the_library_message(cp):
    """An empty key is refused with caplab's message."""
    cp.key_box.value = ""
    cp.put_button.click()
    assert "key must be a non-empty string" in cp.status.text


def test_ap_form_has_consistency_and_refuses_a_bad_level(ap):
    """AP mode: the form offers consistency; a bad level shows the allowed ones."""
    assert list(ap.option_boxes) == ["consistency"]
    ap.option_boxes["consistency"].value = "most"
    ap.put_button.click()
    assert "unknown consistency level 'most'" in ap.status.text
    ap.option_boxes["consistency"].value = "one"
    ap.put_button.click()
    assert ap.cluster.history.ops[-1].options["consistency"] in ("one", 1)
    assert [b.description for b in ap.preset_buttons] == ["isolate n1", "split 2|3", "heal"]


def test_callback_exception_is_shown_not_swallowed(cp, monkeypatch):
    """An unexpected exception inside a callback appears in the status area, with its type."""
    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug in a callback")

    monkeypatch.setattr(cp.cluster, "step", boom)
    cp.step_button.click()
    assert isinstance(cp.status.error, RuntimeError)
    assert "RuntimeError" in cp.status.text and "simulated bug in a callback" in cp.status.text
    assert "traceback" in cp.status.widget.value


def test_public_methods_raise_instead_of_hiding_errors(cp):
    """Driven from Python, a bad action raises (the status area is for button clicks)."""
    with pytest.raises(ConfigError):
        cp.crash("n9")
    with pytest.raises(ConfigError):
        cp.partition_preset("split everything")


def test_time_controls_advance_the_simulation(cp):
    """'run for' runs the ms in the box; 'step' and 'run until idle' advance time too."""
    t0 = cp.cluster.now
    cp.run_ms.value = 700
    cp.run_button.click()
    assert cp.cluster.now == t0 + 700
    assert cp.time_slider.max == cp.cluster.now == cp.time_slider.value
    cp.step_button.click()
    cp.idle_button.click()
    assert cp.status.error is None
    assert f"t = {cp.cluster.now} ms" in cp.figures["graph"].layout.title.text


def test_scrubbing_back_shows_the_earlier_state(cp):
    """Dragging the slider to before a crash shows the node up again; back at the end, down."""
    t_before = cp.cluster.now
    cp.run_for(300)
    cp.crash("n2")
    cp.run_for(1000)
    now = cp.cluster.now
    cp.time_slider.value = t_before + 100
    assert cp.status.error is None
    assert cp.view_time == t_before + 100
    assert "n2" not in nodes_in_role(cp, "down")
    assert f"t = {t_before + 100} ms" in cp.figures["graph"].layout.title.text
    assert not cp.cluster.network.is_up("n2")     # the live cluster is untouched
    assert cp.cluster.now == now
    cp.time_slider.value = now
    assert cp.view_time is None
    assert "n2" in nodes_in_role(cp, "down")


def test_scrubbing_into_an_operation_shows_it_in_flight(cp):
    """Scrubbed into the middle of a put, the timeline shows it open (not yet answered)."""
    start = cp.cluster.now
    result = cp.put("x", 1)
    assert result.latency_ms >= 2
    cp.scrub_to(start + 1)
    ops = cp.view.history.ops
    assert len(ops) == 1 and ops[0].outcome is None
    assert cp.view.now == start + 1


def test_actions_while_scrubbed_act_on_the_live_cluster(cp):
    """Clicking crash while looking at the past goes back to live and crashes there."""
    cp.run_for(500)
    cp.scrub_to(100)
    cp.node_buttons["n3"].click()
    assert cp.view_time is None
    assert not cp.cluster.network.is_up("n3")
    assert "n3" in nodes_in_role(cp, "down")


def test_new_cluster_button_rebuilds_controls_for_the_new_mode(cp):
    """'New cluster' with mode ap and 3 nodes gives 3 node buttons and the AP form."""
    old_graph = cp.figures["graph"]
    cp.mode_box.value, cp.nodes_box.value, cp.seed_box.value = "ap", 3, 7
    cp.new_button.click()
    assert cp.status.error is None
    assert cp.cluster.mode == "ap" and cp.cluster.nodes == ["n1", "n2", "n3"]
    assert list(cp.node_buttons) == ["n1", "n2", "n3"]
    assert list(cp.option_boxes) == ["consistency"]
    assert cp.figures["graph"] is old_graph
    assert cp.figures["graph"].layout.title.text.startswith("AP cluster")


def test_new_cluster_with_bad_nodes_keeps_the_old_cluster(cp):
    """nodes=0 is refused with caplab's message and the current cluster stays."""
    old = cp.cluster
    cp.nodes_box.value = 0
    cp.new_button.click()
    assert "nodes must be between 1 and 50, got 0" in cp.status.text
    assert cp.cluster is old


def test_event_log_and_checker_summary_follow_the_actions(cp):
    """The event log shows the crash; the checker table shows the linearizability verdict."""
    cp.crash("n4" if cp.cluster.primary != "n4" else "n5")
    assert "CRASH" in cp.log_box.value
    cp.put("x", 1)
    assert "linearizability" in cp.summary_box.value
    assert list(cp.summary["check"])[0] == "linearizability"
    cp.show_messages.value = True
    assert "receives" in cp.log_box.value


def test_panel_is_displayable_and_uses_figure_widgets(cp):
    """The panel renders as a widget and its figures are FigureWidgets."""
    bundle = cp._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert all(isinstance(f, go.FigureWidget) for f in cp.figures.values())


def test_given_cluster_is_driven_but_cannot_be_rewound():
    """A panel on a ready-made cluster acts on it; the slider is disabled (no recipe)."""
    from caplab.kv import Cluster
    c = Cluster(mode="ap", nodes=3, seed=2)
    panel = ClusterPanel(c)
    panel.node_buttons["n1"].click()
    assert not c.network.is_up("n1")
    assert panel.time_slider.disabled
    panel.run_for(100)
    with pytest.raises(ConfigError, match="cannot rewind"):
        panel.scrub_to(50)


def test_header_shows_the_arguments_the_panel_was_built_with():
    """ClusterPanel(mode="ap", nodes=3, seed=7) shows ap / 3 / 7, so "New cluster" rebuilds
    the same kind of cluster instead of the header's old defaults."""
    from caplab.widgets import ClusterPanel
    p = ClusterPanel(mode="ap", nodes=3, seed=7)
    assert (p.mode_box.value, p.nodes_box.value, p.seed_box.value) == ("ap", 3, 7)
    p.new_button.click()
    assert p.cluster.mode == "ap" and len(p.cluster.nodes) == 3
    assert p.status.error is None


def _log_lines(panel):
    import html
    import re
    return html.unescape(re.sub(r"<[^>]+>", "", panel.log_box.value)).splitlines()


def test_dropped_messages_do_not_flood_the_log_when_messages_are_hidden(cp):
    """A partition drops heartbeats by the dozen. With "show messages in the log" unchecked the
    drops between two shown events collapse into one count line, so the election stays in the
    14-line log; checked, every drop is listed."""
    import re
    cp.partition_preset("split 2|3")
    cp.run_for(3000)
    trace = cp.cluster.sim.trace
    drops = [e for e in trace.events if e.kind == "drop"]
    assert len(drops) > 100                          # the flood is there
    lines = _log_lines(cp)
    assert len(lines) <= cp.log_lines
    assert not any("DROPPED" in line for line in lines)
    counted = [line for line in lines if "dropped by the partition" in line]
    assert counted and all(re.search(r"\(\d+ messages? dropped", line) for line in counted)
    # the latest election event of the trace is still in the log
    last_election = [e for e in trace.events if e.kind == "election"][-1]
    assert any(line.strip().startswith(f"{last_election.time_ms} ms  ELECTION")
               for line in lines), lines
    # the count lines add up to the drops after the oldest shown event
    oldest = int(lines[0].split("ms")[0])
    shown = sum(int(re.search(r"\((\d+) messages? dropped", line).group(1)) for line in counted)
    assert shown == len([e for e in drops if e.time_ms >= oldest])
    cp.show_messages.value = True
    lines = _log_lines(cp)
    assert any("sends" in line or "DROPPED" in line for line in lines)
    assert not any("messages dropped" in line for line in lines)


def test_event_log_counts_drops_by_reason():
    """Drops of different reasons between two shown events share one line, per reason."""
    from caplab.sim.trace import TraceEvent
    from caplab.widgets._common import event_log_html
    events = [TraceEvent(10, "crash", "n1", None, None, None, None)]
    events += [TraceEvent(20 + i, "drop", "n2", "n3", i, None, "partition") for i in range(5)]
    events += [TraceEvent(30, "drop", "n2", "n1", 9, None, "crashed")]
    events += [TraceEvent(40, "restart", "n1", None, None, None, None)]
    text = event_log_html(events, last=14)
    assert "(6 messages dropped: 5 by the partition, 1 at a crashed node until 30 ms)" in text
    assert text.index("CRASH") < text.index("dropped") < text.index("RESTART")
    one = event_log_html(events[:2], last=14)
    assert "(1 message dropped by the partition)" in one
    every = event_log_html(events, last=14, messages=True)
    assert every.count("DROPPED (partition)") == 5 and every.count("DROPPED (crashed)") == 1


# -- review fixes (visual review at 1366/1920 px) ------------------------------------------------

def node_positions_drawn(panel):
    """{node: (x, y)} as the cluster graph draws them (every role trace)."""
    from caplab.viz import ROLE_ORDER
    pos = {}
    for role in ROLE_ORDER:
        t = trace(panel.figures["graph"], role)
        for row, x, y in zip(t.customdata or (), t.x or (), t.y or ()):
            pos[row[0]] = (x, y)
    return pos


def test_a_failed_put_clears_the_old_result_and_shows_the_error_there(cp):
    """The result box under the buttons no longer keeps the previous green 'ok' when the next
    put is refused: it shows the library's message (as the status line does)."""
    cp.put_button.click()
    assert "data-outcome='ok'" in cp.result_box.value
    cp.option_boxes["w"].value = "9"
    cp.put_button.click()
    assert "data-outcome='ok'" not in cp.result_box.value
    assert "ConfigError" in cp.result_box.value
    message = str(cp.status.error)
    assert message and message.split(";")[0] in cp.result_box.value


def test_changing_near_for_an_existing_client_uses_a_client_near_that_node(cp):
    """alice stands near n1; choosing near n3 writes from a client 'alice@n3' near n3 and
    says so, instead of failing with 'already exists near n1'."""
    cp.put_button.click()
    cp.near_box.value = "n3"
    cp.put_button.click()
    assert cp.status.error is None
    assert cp.cluster.clients["alice"].near == "n1"
    assert cp.cluster.clients["alice@n3"].near == "n3"
    assert cp.cluster.history.ops[-1].client == "alice@n3"
    note = "alice stands near n1; using client alice@n3 near n3"
    assert note in cp.status.text and note in cp.result_box.value
    cp.get_button.click()                         # the get goes from alice@n3 as well
    assert cp.cluster.history.ops[-1].client == "alice@n3"
    cp.near_box.value = "n1"
    cp.get_button.click()                         # back to alice herself, no note
    assert cp.cluster.history.ops[-1].client == "alice"
    assert "stands near" not in cp.result_box.value


def test_graph_nodes_keep_their_places_when_the_primary_changes(cp):
    """A new primary (or none) does not move the nodes: the layout is fixed per cluster."""
    before = node_positions_drawn(cp)
    old = cp.cluster.primary
    cp.partition_preset("isolate primary")
    cp.run_for(2500)
    assert cp.cluster.primary not in (None, old)
    assert node_positions_drawn(cp) == before
    cp.crash(cp.cluster.primary)                 # no primary for a while
    assert node_positions_drawn(cp) == before
    cp.new_cluster(mode="ap", nodes=3, seed=1)   # other nodes: a new layout
    assert sorted(node_positions_drawn(cp)) == ["n1", "n2", "n3"]


def test_graph_and_timeline_share_one_laptop_screen(cp):
    """By default the graph (300 px) and the timeline (280 px, the first view tab) fit one
    1366x768 screen beside the controls (faults and form as tabs); both autosize."""
    graph, tl = cp.figures["graph"], cp.figures["timeline"]
    assert graph.layout.height + tl.layout.height <= 600
    assert graph.layout.autosize is True and tl.layout.autosize is True
    assert cp.view_tabs.children[0] is tl and cp.view_tabs.selected_index == 0
    assert cp.control_tabs.titles == ("Faults", "Free sides", "Write / read")


def test_projector_mode_has_large_text_and_a_wide_graph():
    """Projector mode: every figure's text is at least 24 px, the graph is taller and sits
    beside the views (so it uses the width), and the panel has the projector class."""
    from caplab.widgets._cluster_drawing import PROJECTOR_FONT_PX
    p = ClusterPanel(mode="cp", nodes=5, seed=1, projector=True)
    assert PROJECTOR_FONT_PX >= 24
    for fig in p.figures.values():
        assert fig.layout.font.size >= 24 and fig.layout.title.font.size >= 24
    assert p.figures["graph"].layout.height >= 500
    assert "caplab-projector" in p.widget._dom_classes
    p.partition_preset("isolate primary")
    assert p.figures["graph"].layout.font.size >= 24     # still, after a redraw


def test_new_cluster_clears_the_previous_result(cp):
    """After 'New cluster' the last put/get result (about the old cluster) is gone."""
    cp.key_box.value, cp.value_box.value = "x", "7"
    cp.put_button.click()
    assert "ok" in cp.result_box.value
    cp.new_button.click()
    assert cp.result_box.value == ""


def test_live_button_says_live_and_scrubbing_shows_a_past_banner(cp):
    """Scrubbed back, a banner says the panel shows the past and what actions do; 'live'
    removes it and the status says 'live at ... ms'."""
    cp.run_for(500)
    now = cp.cluster.now
    cp.time_slider.value = 400
    assert "viewing the past: t = 400 ms" in cp.status.text
    assert "jumps back to live" in cp.status.text
    assert "data-view-time='400'" in cp.past_banner.value
    assert cp.past_banner.layout.display != "none"
    cp.live_button.click()
    assert cp.status.text == f"live at {now} ms"
    assert cp.past_banner.value == "" and cp.past_banner.layout.display == "none"
    cp.scrub_to(300)
    cp.node_buttons["n3"].click()                # an action: back to live, banner gone
    assert cp.view_time is None and cp.past_banner.layout.display == "none"


def test_event_log_lines_wrap_instead_of_being_cut():
    """Long log lines wrap (pre-wrap keeps the columns) instead of running off the right."""
    from caplab.widgets._common import PANEL_CSS
    log_rule = PANEL_CSS.split(".caplab-log", 1)[1].split("}", 1)[0]
    assert "white-space: pre-wrap" in log_rule and "monospace" in log_rule


def test_get_of_a_missing_key_says_no_value(cp):
    """A read of a key nobody wrote shows '∅ (no value)', not Python's None."""
    cp.key_box.value = "never-written"
    cp.get_button.click()
    assert "∅ (no value)" in cp.result_box.value and "None" not in cp.result_box.value


def test_value_box_increments_only_after_an_ok_put(cp):
    """A refused or failed put leaves the value to write unchanged."""
    cp.value_box.value = "5"
    cp.option_boxes["w"].value = "9"             # refused
    cp.put_button.click()
    assert cp.value_box.value == "5"
    cp.option_boxes["w"].value = "default"
    cp.partition_preset("isolate primary")       # the client near n1 cannot reach a primary
    cp.option_boxes["wtimeout_ms"].value = "200"
    cp.option_boxes["w"].value = "5"
    cp.put_button.click()
    assert cp.cluster.history.ops[-1].outcome != "ok"
    assert cp.value_box.value == "5"
    cp.heal()
    cp.run_for(2000)
    cp.option_boxes["w"].value = "default"
    cp.put_button.click()
    assert cp.cluster.history.ops[-1].outcome == "ok"
    assert cp.value_box.value == "6"


def test_form_says_which_options_belong_to_put_and_to_get(cp, ap):
    """The option fields sit under 'put options' and 'get options' (AP: one shared group)."""
    texts = [c.value if hasattr(c, "value") and isinstance(c.value, str) and "<" in c.value
             else c for c in cp.options_area.children]
    put_at = next(i for i, t in enumerate(texts) if isinstance(t, str) and "put options" in t)
    get_at = next(i for i, t in enumerate(texts) if isinstance(t, str) and "get options" in t)
    children = cp.options_area.children
    desc = cp.cluster.backend.describe()
    put = {cp.option_boxes[o.name] for o in desc.options_for("put")}
    get = {cp.option_boxes[o.name] for o in desc.options_for("get")}
    assert {cp.option_boxes["w"], cp.option_boxes["wtimeout_ms"]} <= put
    assert set(children[put_at + 1:get_at]) == put
    assert {cp.option_boxes["read_preference"], cp.option_boxes["read_concern"]} <= get
    assert set(children[get_at + 1:]) == get
    assert "put and get options" in ap.options_area.children[0].value


def test_checker_summary_hides_search_steps(cp):
    """The summary line says 'linearizable …' without '(N search steps)' (kept as hover)."""
    cp.put("x", 1)
    assert "search steps)" not in cp.summary_box.value.split("title=")[0]
    assert "search step" in cp.summary_box.value          # in the hover text


def test_free_sides_error_lists_nodes_plainly_and_the_chosen_side_is_dark(cp):
    """The one-empty-side message lists node names without Python brackets; the side toggles
    carry the class PANEL_CSS colours dark when chosen."""
    from caplab.widgets._common import PANEL_CSS
    for node in cp.cluster.nodes:
        cp.side_buttons[node].value = "A"
    cp.sides_apply.click()
    assert "A: n1, n2, n3, n4, n5; B: none" in cp.status.text
    assert all("caplab-sides" in t._dom_classes for t in cp.side_buttons.values())
    assert ".caplab-sides" in PANEL_CSS and "mod-active" in PANEL_CSS


def test_clock_pluralizes_actions_and_ops(cp):
    """'1 op', not '1 ops'."""
    cp.put("x", 1)
    assert "1 op</" in cp.clock.value or cp.clock.value.endswith("1 op")


def test_panel_timeline_shades_the_partition(cp):
    """After 'isolate primary' and a put, the panel's timeline shows the partition band and
    marks where it starts (Jepsen's nemesis bands)."""
    cp.key_box.value, cp.value_box.value = "x", "1"
    cp.put_button.click()
    start = cp.cluster.now
    button(cp, "isolate primary").click()
    cp.refresh()
    shapes = cp.figures["timeline"].layout.shapes
    assert any(s.name == "partition" and s.x0 == start for s in shapes)
    assert any(s.name == "partition starts" for s in shapes)


def test_hidden_view_tabs_are_drawn_when_opened(cp):
    """A click rebuilds only the views shown: the messages tab, hidden, keeps its old figure
    until it is opened, then shows the current window."""
    before = cp.figures["sequence"].layout.title.text
    cp.run_for(700)
    assert cp.figures["sequence"].layout.title.text == before     # hidden: not redrawn
    cp.view_tabs.selected_index = 1                                # open "Messages"
    now = cp.figures["sequence"].layout.title.text
    assert now != before and f"{cp.cluster.now} ms" in now


def test_run_until_stable_waits_out_the_election():
    """Issue 17: "run until idle" right after a fault advanced a millisecond and left
    "primary: none" (idle: nothing pending, but no primary); the button now runs until the
    cluster has settled: a primary that accepts writes."""
    panel = ClusterPanel(mode="cp", nodes=3, seed=1)
    panel.crash(panel.cluster.primary)
    panel.run_until_idle()
    assert panel.cluster.writable_primary is None          # idle is not settled
    assert panel.idle_button.description == "run until stable"
    panel.idle_button.click()
    assert panel.cluster.writable_primary is not None
    assert panel.status.error is None and "stable" in panel.status.text


def test_run_until_stable_is_immediate_for_a_ring():
    """A ring has no leader: once nothing is pending it is stable."""
    c = Cluster(mode="ap", nodes=3, seed=1)
    assert c.run_until_stable() and c.stable()
