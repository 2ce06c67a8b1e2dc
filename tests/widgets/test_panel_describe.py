"""ClusterPanel and the cluster graph build themselves from what a system describes
(``backend.describe()``): a mode they have never heard of gets its roles, form, presets,
warm-up and layout without a change to any view or panel."""

from __future__ import annotations

import ipywidgets as w
import pytest

from caplab.errors import ConfigError
from caplab.kv import cluster as cluster_module
from caplab.kv.cp import ReplicaSet
from caplab.viz import cluster_graph
from caplab.widgets import ClusterPanel
from caplab.world.describe import Description, Option, Role, partition_presets


class SourceAndReplicas(ReplicaSet):
    """A replica set that calls itself something else: a stand-in for a third mode."""

    mode = "zz"

    def describe(self):
        roles = {"primary": Role("primary", "#D55E00", symbol="square", label="source",
                                 leader=True),
                 "secondary": Role("secondary", "#999999", label="read replica")}
        options = (Option("w", None, "put", "acks to wait for", choices=(1, 2)),
                   Option("wtimeout_ms", None, "put", "how long to wait", allowed="ms > 0"),
                   Option("read_preference", "primary", "get", "where to read",
                          choices=("primary", "secondary")))
        presets = {"isolate source": ("isolate", self.primary),
                   "heal": ("heal", None)}
        return Description(system="kv", mode="zz", title="a source and read replicas",
                           roles=roles, options=options, presets=presets, warmup_ms=1200,
                           layout="ring", strong_read={"read_concern": "majority"})


@pytest.fixture
def zz(monkeypatch):
    monkeypatch.setitem(cluster_module.MODES, "zz", (__name__, "SourceAndReplicas"))
    return ClusterPanel(mode="zz", nodes=3, seed=1)


def test_a_described_mode_gets_its_header_warmup_and_presets(zz):
    """The mode dropdown lists MODES; the warm-up and the preset buttons are the description's."""
    assert "zz" in zz.mode_box.options and zz.mode_box.value == "zz"
    assert zz.cluster.now == 1200
    assert [b.description for b in zz.preset_buttons] == ["isolate source", "heal"]
    source = zz.cluster.primary
    zz.partition_preset("isolate source")
    assert not zz.cluster.network.reachable(source, next(n for n in zz.cluster.nodes
                                                         if n != source))


def test_a_described_mode_gets_its_form(zz):
    """One field per put/get option: choices make a dropdown with 'default', none a text box;
    the fields reach the operation."""
    assert list(zz.option_boxes) == ["w", "wtimeout_ms", "read_preference"]
    assert isinstance(zz.option_boxes["w"], w.Dropdown)
    assert list(zz.option_boxes["w"].options) == ["default", "1", "2"]
    assert isinstance(zz.option_boxes["wtimeout_ms"], w.Text)
    assert zz.option_boxes["wtimeout_ms"].placeholder == "ms > 0"
    zz.option_boxes["w"].value = "2"
    zz.put_button.click()
    assert zz.status.error is None
    assert zz.cluster.history.ops[-1].options["w"] == 2


def test_a_described_mode_marks_its_leader_by_symbol_colour_and_label(zz):
    """Node labels and the graph use the description's symbol, colour and label for the leader;
    the graph's layout is the described ring (no node at the centre)."""
    source = zz.cluster.primary
    label = zz.node_labels[source].value
    assert "■" in label and "source" in label and "#D55E00" in label
    fig = cluster_graph(zz.cluster)
    leader = next(t for t in fig.data if t.name == "primary")
    assert leader.marker.symbol == "square" and leader.marker.color == "#D55E00"
    assert [row[0] for row in leader.customdata] == [source]
    assert (leader.x[0], leader.y[0]) != (0.0, 0.0)
    assert f"source: {source}" in fig.layout.title.text


def test_isolate_primary_without_a_primary_says_so_and_changes_nothing():
    """During an election 'isolate primary' stays offered; pressed, it says there is no primary
    and leaves the network as it was."""
    panel = ClusterPanel(mode="cp", nodes=3, seed=1)
    panel.crash(panel.cluster.primary)
    assert panel.cluster.primary is None
    assert "isolate primary" in panel.presets()
    with pytest.raises(ConfigError, match="no primary to isolate"):
        panel.partition_preset("isolate primary")
    assert not panel.cluster.network.partitioned


def test_presets_name_the_current_primary():
    """The description computes presets from live state: 'isolate primary' names the primary,
    and 'split 1|2' puts it in the minority (partition_presets)."""
    panel = ClusterPanel(mode="cp", nodes=3, seed=1)
    primary = panel.cluster.primary
    presets = panel.presets()
    assert presets["isolate primary"] == ("isolate", primary)
    assert presets["split 1|2"][1][0] == [primary]
    assert presets == partition_presets(panel.cluster.nodes, primary)


def test_a_choice_field_sends_the_choice_itself_not_its_text():
    """A dropdown of (True, False) sends False, not the string 'False'; numbers stay numbers."""
    from caplab.widgets._cluster_form import form_options, option_widgets
    desc = Description(system="kv", mode="x", title="x",
                       options=(Option("retry", True, "put", choices=(True, False)),
                                Option("w", 1, "put", choices=("majority", 1, 2))))
    boxes = option_widgets(desc)
    boxes["retry"].value, boxes["w"].value = "False", "2"
    assert form_options(boxes, desc, "put") == {"retry": False, "w": 2}
    boxes["retry"].value, boxes["w"].value = "default", "majority"
    assert form_options(boxes, desc, "put") == {"w": "majority"}


def test_the_ca_store_gets_its_panel_from_its_description():
    """The MySQL-style store (mode "ca") gets its leader, presets and form with no change to the
    panel: 'crash primary' among the presets, only a get options group (its writes take none)."""
    panel = ClusterPanel(mode="ca", nodes=3, seed=1)
    desc = panel.cluster.backend.describe()
    assert [b.description for b in panel.preset_buttons] == list(desc.presets)
    assert "crash primary" in desc.presets
    assert list(panel.option_boxes) == [o.name for o in desc.options_for("get")]
    headings = [c.value for c in panel.options_area.children if isinstance(c, w.HTML)]
    assert len(headings) == 1 and "get options" in headings[0]
    source = panel.cluster.primary
    assert desc.roles["primary"].text in panel.node_labels[source].value
    panel.partition_preset("crash primary")
    assert not panel.cluster.network.is_up(source)
