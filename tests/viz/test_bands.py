"""Fault bands (Jepsen's nemesis bands) read from the trace, drawn behind timelines and curves."""

from __future__ import annotations

from helpers_viz import cp_cluster, valid

from caplab.viz import timeline
from caplab.viz.bands import band_annotations, fault_bands, stack_labels


def _faulty_run():
    """A CP set whose primary is isolated (the majority elects another), then a crash."""
    c = cp_cluster()
    alice = c.clients["alice"] if hasattr(c, "clients") else c.client("alice")
    old = c.primary
    part_ms = c.now
    c.isolate(old)
    for i in range(6):
        alice.put("x", str(i))
        c.run_for(300)
    c.heal()
    heal_ms = c.now
    c.crash(c.nodes[1])
    c.run_for(200)
    return c, part_ms, heal_ms


def test_bands_cover_partition_election_and_crash():
    """MongoDB: an isolated primary is replaced by an election on the majority side; the
    partition runs to the heal, the election inside it, the crash to the end (still open)."""
    c, part_ms, heal_ms = _faulty_run()
    bands = fault_bands(c)
    part = [b for b in bands if b["kind"] == "partition"]
    assert [(b["start_ms"], b["end_ms"]) for b in part] == [(part_ms, heal_ms)]
    elections = [b for b in bands if b["kind"] == "election" and b["start_ms"] >= part_ms]
    assert elections and part_ms < elections[0]["start_ms"] <= elections[0]["end_ms"] < heal_ms
    crash = [b for b in bands if b["kind"] == "crash"]
    assert crash[0]["open"] and crash[0]["label"] == f"{c.nodes[1]} down"
    assert crash[0]["end_ms"] == c.now


def test_timeline_shades_faults_and_marks_the_partition_start():
    """timeline(faults=cluster): a shaded band per fault, a line where the partition starts,
    and one label per band."""
    c, part_ms, heal_ms = _faulty_run()
    fig = valid(timeline(c.history, faults=c))
    names = [s.name for s in fig.layout.shapes]
    assert {"partition", "election", "crash", "partition starts"} <= set(names)
    start = next(s for s in fig.layout.shapes if s.name == "partition starts")
    assert start.x0 == part_ms
    labels = [a for a in fig.layout.annotations if (a.name or "").startswith("band ")]
    assert len(labels) == len([s for s in fig.layout.shapes if s.type == "rect"])
    assert timeline(c.history).layout.shapes == ()


def test_stacked_labels_never_overlap():
    """Labels of close bands go on separate levels; far apart ones share the first."""
    bands = [{"kind": "partition", "start_ms": 0, "end_ms": 50, "label": "partition n1 | n2"},
             {"kind": "election", "start_ms": 10, "end_ms": 12, "label": "election"},
             {"kind": "crash", "start_ms": 900, "end_ms": 950, "label": "n3 down"}]
    notes = band_annotations(bands, span=1000)
    assert [n["y"] for n in notes][:2] == [1.0, 0.925] and notes[2]["y"] == 1.0
    assert stack_labels([(0, "a" * 40), (100, "b")], span=1000, width_px=100) == [0, 1]


def test_fault_bands_serialise_to_json_from_a_pandas_history():
    """A timeline drawn from a history frame (numpy ints) with faults still serialises, as a
    FigureWidget must (a numpy int in layout.meta broke the side-by-side panel)."""
    import json

    from caplab.frames import history_frame
    c, _, _ = _faulty_run()
    fig = timeline(history_frame(c.history), faults=c)
    json.dumps(fig.layout.meta)
    fig.to_json()
