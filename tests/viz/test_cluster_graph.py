"""Cluster graph: roles, cuts, crashes, messages in flight, a key's values."""

from __future__ import annotations

from caplab.viz import ROLE_COLOURS, ROLE_ORDER, cluster_graph, cluster_graph_data

from helpers_viz import trace_named, valid


def _where(fig, name):
    """role -> set of node names drawn in that role's trace."""
    return {row[0] for row in (trace_named(fig, name).customdata or ())}


def test_primary_drawn_at_the_centre_in_cp(cp):
    """In CP mode the primary sits at (0, 0), coloured as primary."""
    fig = valid(cluster_graph(cp))
    t = trace_named(fig, "primary")
    assert list(t.customdata[0][:1]) == [cp.primary]
    assert (t.x[0], t.y[0]) == (0.0, 0.0)
    assert t.marker.color == cp.backend.describe().roles["primary"].colour
    assert fig.layout.meta["primary"] == cp.primary
    assert cp.primary in fig.layout.title.text


def test_every_role_trace_has_its_colour(cp):
    """One trace per role, always present, coloured as the system describes the role (the
    shared palette for a role it does not describe)."""
    fig = cluster_graph(cp)
    desc = cp.backend.describe()
    for role in ROLE_ORDER:
        expected = desc.roles[role].colour if role in desc.roles else ROLE_COLOURS[role]
        assert trace_named(fig, role).marker.color == expected
    assert _where(fig, "secondary") == set(cp.nodes) - {cp.primary}


def test_an_arbiter_is_drawn_as_its_own_hollow_role():
    """A PSA replica set draws its arbiter in the arbiter trace, as a hollow triangle labelled
    'arbiter' (it votes and holds no data), not as a secondary or an unknown role."""
    from caplab.kv import Cluster
    c = Cluster("cp", 3, seed=1, arbiters=1)
    c.run_until_stable()
    fig = valid(cluster_graph(c))
    assert _where(fig, "arbiter") == {"n3"}
    assert _where(fig, "other") == set()
    assert trace_named(fig, "arbiter").marker.symbol == "triangle-up-open"


def test_the_primary_is_marked_by_shape_and_label_not_only_colour(cp, ap):
    """The leader's marker is a larger star whose label says 'primary'; AP has no leader, so
    no node is labelled so and the title names no primary."""
    fig = cluster_graph(cp)
    primary = trace_named(fig, "primary")
    secondary = trace_named(fig, "secondary")
    assert primary.marker.symbol == "star" and secondary.marker.symbol == "circle"
    assert primary.marker.size > secondary.marker.size
    assert all("primary" in text for text in primary.text)
    assert not any("primary" in text for text in secondary.text)
    ap_fig = cluster_graph(ap)
    assert "primary" not in ap_fig.layout.title.text
    assert not any("primary" in t for r in ROLE_ORDER for t in trace_named(ap_fig, r).text or ())


def test_a_crashed_node_is_drawn_crossed_out(cp):
    """A down node is a crossed circle (shape, not only grey) with its name inside."""
    cp.crash(cp.nodes[0])
    down = trace_named(cluster_graph(cp), "down")
    assert down.marker.symbol == "circle-x"
    assert [row[0] for row in down.customdata] == [cp.nodes[0]]


def test_partition_draws_cut_links(cp):
    """Links across a partition are in the 'cut link' trace, and the rest stay open."""
    p = cp.primary
    others = [n for n in cp.nodes if n != p]
    cp.partition([p, others[0]], others[1:])
    d = cluster_graph_data(cp)
    fig = valid(cluster_graph(cp, data=d))
    pairs = {frozenset(x) for x in trace_named(fig, "cut link").meta["pairs"]}
    for a in (p, others[0]):
        for b in others[1:]:
            assert frozenset((a, b)) in pairs
    assert frozenset((p, others[0])) not in pairs
    markers = trace_named(fig, "cut marker")
    assert sum(1 for row in markers.customdata if row[2] == "both") == len(d["cut_pairs"])


def test_one_way_cut_is_drawn_with_its_direction(cp):
    """A one-way cut is its own trace naming the blocked direction, with an X and an arrow."""
    a, b = cp.nodes[1], cp.nodes[2]
    cp.cut(a, b)
    fig = valid(cluster_graph(cp))
    assert trace_named(fig, "one-way cut").meta["cuts"] == [[a, b]]
    assert trace_named(fig, "cut link").meta["pairs"] == []
    rows = [list(r) for r in trace_named(fig, "cut marker").customdata]
    assert [a, b, "one-way"] in rows and [b, a, "open"] in rows
    assert list(trace_named(fig, "cut marker").marker.symbol) == ["x", "arrow"]


def test_crashed_node_drawn_as_down(cp):
    """A crashed node is in the 'down' trace and nowhere else."""
    victim = next(n for n in cp.nodes if n != cp.primary)
    cp.crash(victim)
    fig = cluster_graph(cp)
    assert _where(fig, "down") == {victim}
    assert victim not in _where(fig, "secondary")


def test_messages_in_flight_drawn_along_their_link(cp):
    """Each message on the wire is a marker part of the way from sender to receiver."""
    cp.sim.run_until(lambda: len(cp.network.in_flight) > 0, timeout_ms=2000)
    flights = cp.network.in_flight
    assert flights
    d = cluster_graph_data(cp)
    fig = cluster_graph(cp, data=d)
    t = trace_named(fig, "messages in flight")
    assert [row[0] for row in t.customdata] == [f.msg_id for f in flights]
    pos = d["positions"]
    for f, x, y in zip(d["in_flight"], t.x, t.y):
        (x0, y0), (x1, y1) = pos[f["src"]], pos[f["dst"]]
        assert min(x0, x1) - 1e-9 <= x <= max(x0, x1) + 1e-9
        assert min(y0, y1) - 1e-9 <= y <= max(y0, y1) + 1e-9
        assert 0.0 <= f["fraction"] <= 1.0


def test_key_values_shown_per_node(cp):
    """With key=, each node's label and customdata carry its value of the key."""
    assert cp.clients["alice"].put("x", "7").ok
    cp.run_for(300)
    fig = cluster_graph(cp, key="x")
    rows = [row for role in ROLE_ORDER for row in (trace_named(fig, role).customdata or ())]
    assert {row[0]: row[2] for row in rows} == {n: "'7'" for n in cp.nodes}
    assert "x=7" in trace_named(fig, "primary").text[0]


def test_clients_placed_beside_their_node(cp):
    """Each client is drawn close to the node it is near."""
    d = cluster_graph_data(cp)
    for client, near in d["clients"].items():
        (x, y), (nx_, ny) = d["positions"][client], d["positions"][near]
        assert ((x - nx_) ** 2 + (y - ny) ** 2) ** 0.5 < 0.5


def test_ap_nodes_on_a_circle(ap):
    """In AP mode every node is on the unit circle, coloured as replica."""
    d = cluster_graph_data(ap)
    for n in ap.nodes:
        x, y = d["positions"][n]
        assert abs((x * x + y * y) ** 0.5 - 1) < 1e-6
    assert _where(cluster_graph(ap), "replica") == set(ap.nodes)


def test_drawing_changes_nothing(cp):
    """Building the view leaves the simulation untouched (time, trace, history)."""
    before = (cp.now, len(cp.sim.trace), len(cp.history), cp.roles())
    cluster_graph(cp, key="x")
    assert (cp.now, len(cp.sim.trace), len(cp.history), cp.roles()) == before


def _point_segment(p, a, b) -> float:
    """The distance from point p to the segment a-b."""
    import math
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def test_cp_layout_hides_no_link_behind_a_node():
    """With the primary at the centre, no link between two nodes runs through a third node
    (a 3-node replica set used to sit on one line, its n1-n2 link under the primary)."""
    import math

    from caplab.viz.cluster import node_positions
    for n in range(3, 10):
        nodes = [f"n{i}" for i in range(1, n + 1)]
        pos = node_positions(nodes, primary=nodes[-1], layout="star")
        pts = [pos[x] for x in nodes]
        gap = min(_point_segment(p, a, b) for i, a in enumerate(pts)
                  for j, b in enumerate(pts) if i < j
                  for m, p in enumerate(pts) if m not in (i, j))
        assert gap > 0.15, (n, gap)
        assert pos[nodes[-1]] == (0.0, 0.0)
        assert all(math.hypot(*pos[x]) > 0.5 for x in nodes[:-1])


def test_graph_fills_the_figure_with_the_legend_below(ap):
    """Projector layout: a narrow data range, a one-row legend under the plot."""
    fig = cluster_graph(ap)
    assert fig.layout.xaxis.range[1] <= 1.45 and fig.layout.yaxis.range[1] <= 1.45
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0
    # Nothing is cut off at the edge of the narrower range.
    assert all(t.cliponaxis is False for t in fig.data if t.name in ROLE_ORDER + ("clients",))


def test_client_labels_sit_on_the_far_side_from_their_node(ap, cp):
    """A client above its node is labelled above, one below is labelled below: a label never
    covers the node."""
    for c in (ap, cp):
        d = cluster_graph_data(c)
        t = trace_named(cluster_graph(c, data=d), "clients")
        pos = d["positions"]
        for name, where in zip(t.text, t.textposition):
            dy = pos[name][1] - pos[d["clients"][name]][1]
            if dy > 0.2:
                assert where.startswith("top")
            elif dy < -0.2:
                assert where.startswith("bottom")


def test_long_values_are_cut_inside_the_circle_but_whole_in_the_hover(ap):
    """A long value is truncated to a few characters with an ellipsis inside the node; the
    hover text has all of it."""
    assert ap.clients["alice"].put("k0", "hello world").ok
    ap.run_for(300)
    fig = cluster_graph(ap, key="k0")
    t = trace_named(fig, "replica")
    holders = [i for i, row in enumerate(t.customdata) if row[2] == "'hello world'"]
    assert holders
    for i in holders:
        second = t.text[i].split("<br>")[1]
        assert second == "k0=hell…" and "hello world" in t.hovertext[i]


def test_crashed_node_label_is_not_crossed_out_in_dark_lines(cp):
    """The cross of a down node is drawn light so its black label stays legible."""
    victim = next(n for n in cp.nodes if n != cp.primary)
    cp.crash(victim)
    down = trace_named(cluster_graph(cp), "down")
    assert down.textfont.color == "#000000"
    assert down.marker.line.color.upper() in ("#DDDDDD", "#FFFFFF", "#E0E0E0")
