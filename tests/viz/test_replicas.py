"""Replica heatmap and table: who holds which version, stale cells marked."""

from __future__ import annotations

from helpers_viz import trace_named, valid

from caplab.viz import replica_heatmap, replica_heatmap_data, replica_table


def test_stale_cell_marked_from_records():
    """A replica holding an older version than the newest is in the 'stale' trace."""
    recs = [{"node": "n1", "key": "x", "value": "2", "version": 2},
            {"node": "n2", "key": "x", "value": "1", "version": 1},
            {"node": "n3", "key": "x", "value": "2", "version": 2},
            {"node": "n1", "key": "y", "value": "a", "version": 1},
            {"node": "n2", "key": "y", "value": "a", "version": 1}]
    fig = valid(replica_heatmap(recs))
    assert [list(r) for r in trace_named(fig, "stale").customdata] == [["n2", "x"]]
    heat = trace_named(fig, "versions")
    assert list(heat.y) == ["n1", "n2", "n3"] and list(heat.x) == ["x", "y"]
    assert heat.z[1][0] < heat.z[0][0] == 1.0
    assert heat.text[2][1] == "—"          # n3 holds nothing for y: not stale without a mode


def test_stale_secondary_after_partition(cp):
    """A CP secondary cut off from a write holds nothing/old for it and is marked stale."""
    alice = cp.clients["alice"]
    assert alice.put("x", "1").ok
    cp.run_for(300)
    lagging = next(n for n in cp.nodes if n not in (cp.primary, cp.network.near("alice")))
    cp.isolate(lagging)
    assert alice.put("x", "2").ok
    cp.run_for(200)
    d = replica_heatmap_data(cp)
    assert (lagging, "x") in d["stale"]
    assert "x" in d["divergent_keys"]
    fig = replica_heatmap(cp, data=d)
    assert [list(r) for r in trace_named(fig, "stale").customdata] == [list(c)
                                                                      for c in d["stale"]]


def test_missing_key_counts_as_stale_in_cp_mode():
    """With missing=True a node that holds nothing for a key others hold is stale."""
    recs = [{"node": "n1", "key": "x", "value": 1, "version": (1, 1)},
            {"node": "n2", "key": "x", "value": 1, "version": (1, 1)}]
    d = replica_heatmap_data(recs + [{"node": "n3", "key": "y", "value": 0, "version": (1, 0)}],
                             missing=True)
    assert ("n3", "x") in d["stale"]


def test_ap_lww_timestamps_ordered(ap):
    """AP version labels (timestamps) order the cells; a fresh ring has no stale cells."""
    d = replica_heatmap_data(ap)
    assert all(d["orderable"].values())
    assert d["stale"] == []


def test_table_marks_stale_cells():
    """The table shows value @ version and a ✗ on stale cells."""
    recs = [{"node": "n1", "key": "x", "value": "2", "version": 2},
            {"node": "n2", "key": "x", "value": "1", "version": 1}]
    table = replica_table(recs)
    assert table.loc["n1", "x"] == "2 @ 2"
    assert table.loc["n2", "x"] == "1 @ 1 ✗"
    assert table.attrs["stale"] == [("n2", "x")]
    assert replica_table(recs, styled=True).to_html()


def test_empty_heatmap_says_why_and_the_note_goes_after_the_first_write(cp):
    """Before any write the grid is empty and says so; once a key exists the note is gone."""
    from caplab.viz import replica_heatmap
    empty = replica_heatmap(cp)
    assert [a.text for a in empty.layout.annotations] == [
        "no key written yet: put a value to see the replicas"]
    cp.clients["alice"].put("x", "1")
    cp.run_for(500)
    assert not replica_heatmap(cp).layout.annotations


def test_replica_table_cuts_long_values_at_max_chars():
    """Values are cut at 12 characters by default; ``max_chars`` shows more (the version stays)."""
    records = [{"node": "n1", "key": "cart", "value": "eggs,milk,tea,bread", "version": 3},
               {"node": "n2", "key": "cart", "value": "eggs,milk,tea,bread", "version": 3}]
    short = replica_table(records)
    assert short.loc["n1", "cart"] == "eggs,milk,t… @ 3"
    full = replica_table(records, max_chars=40)
    assert full.loc["n1", "cart"] == "eggs,milk,tea,bread @ 3"


STALE_RECS = [{"node": "n1", "key": "x", "value": "2", "version": 2},
              {"node": "n2", "key": "x", "value": "1", "version": 1}]


def test_stale_mark_does_not_cover_the_value():
    """A stale cell keeps its value readable: ✗ after the value, a frame around the cell, and
    no big marker over it."""
    fig = replica_heatmap(STALE_RECS)
    heat = trace_named(fig, "versions")
    assert heat.text[1][0] == "1 ✗" and heat.text[0][0] == "2"
    frames = [s for s in fig.layout.shapes if s.name == "stale"]
    assert len(frames) == 1 and frames[0].y0 < 1 < frames[0].y1
    marker = trace_named(fig, "stale").marker
    assert marker.size <= 12 or marker.opacity == 0


def test_key_axis_title_clears_the_figure_title():
    """The key axis (on top) has room under the figure title: a wide top margin, the title
    pinned to the top of the figure."""
    fig = replica_heatmap(STALE_RECS)
    assert fig.layout.margin.t >= 110
    assert fig.layout.title.yref == "container" and fig.layout.title.yanchor == "top"


def test_ap_hover_tells_non_replicas_from_replicas_holding_nothing(ap):
    """In AP mode a node that is not one of a key's replicas says so in the hover; one that is
    a replica but holds nothing says 'holds nothing'."""
    d = replica_heatmap_data(ap)
    fig = replica_heatmap(ap, data=d)
    heat = trace_named(fig, "versions")
    key = d["keys"][0]
    col = d["keys"].index(key)
    outsider = next(n for n in d["nodes"] if n not in ap.replicas_for(key))
    row = d["nodes"].index(outsider)
    assert "not a replica of this key" in heat.hovertext[row][col]
    assert heat.text[row][col] == ""
    recs = [r for r in ap.replica_records() if r["key"] != key or r["node"] != ap.replicas_for(
        key)[0]]

    class Missing:   # the same ring with one replica's copy of the key gone
        mode, nodes = "ap", ap.nodes

        def replica_records(self):
            return recs

        def replicas_for(self, k):
            return ap.replicas_for(k)

    d2 = replica_heatmap_data(Missing())
    lost = ap.replicas_for(key)[0]
    hover = trace_named(replica_heatmap(Missing(), data=d2), "versions").hovertext
    assert "holds nothing" in hover[d2["nodes"].index(lost)][d2["keys"].index(key)]
