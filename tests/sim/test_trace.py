"""The trace: events carry their facts as read-only data fields, described deterministically."""

import pickle

import pytest

from caplab.net import Network
from caplab.sim import Simulation, Trace, TraceEvent
from caplab.sim.trace import NO_DATA, TraceData
from netkit import Recorder


def test_an_event_without_data_shares_the_one_empty_mapping():
    """Events with no fields allocate nothing for them: all share NO_DATA."""
    t = Trace()
    t.record(1, "send", "n1", "n2", 7, None, None)
    t.record(2, "note", detail="hello", data={})
    assert t[0].data is NO_DATA and t[1].data is NO_DATA and not NO_DATA


def test_data_fields_are_recorded_and_read_only():
    """record(data=...) keeps the fields; nobody can change them afterwards."""
    t = Trace()
    fields = {"role": "primary", "term": 3}
    t.record(5, "role", "n3", detail="primary term=3", data=fields)
    fields["term"] = 99                       # the caller's dict is copied, not kept
    event = t[0]
    assert event.data == {"role": "primary", "term": 3} and event.data["term"] == 3
    with pytest.raises(TypeError, match="read-only"):
        event.data["term"] = 4
    with pytest.raises(TypeError, match="read-only"):
        event.data.update(term=4)
    assert event.data["term"] == 3


def test_trace_data_is_hashable_equal_and_picklable():
    """Two equal events are equal and hash alike; data survives a pickle round trip."""
    a = TraceEvent(1, "role", "n1", data=TraceData(role="primary", term=1))
    b = TraceEvent(1, "role", "n1", data=TraceData(term=1, role="primary"))
    assert a == b and hash(a) == hash(b)
    back = pickle.loads(pickle.dumps(a))
    assert back == a and isinstance(back.data, TraceData)


def test_describe_lists_data_sorted_by_name_whatever_the_order_given():
    """The text of an event (golden traces, determinism) lists its fields sorted by name."""
    one = TraceEvent(10, "role", "n3", detail="primary term=3",
                     data=TraceData(term=3, role="primary"))
    two = TraceEvent(10, "role", "n3", detail="primary term=3",
                     data=TraceData(role="primary", term=3))
    assert one.describe() == two.describe() == \
        "      10 role n3 (primary term=3) [role='primary' term=3]"
    assert TraceEvent(10, "crash", "n1").describe() == "      10 crash n1"


def test_endpoint_trace_records_keyword_fields():
    """Endpoint.trace(kind, detail, peer, **data): the facts as fields, the text for people."""
    sim = Simulation(1)
    net = Network(sim, latency=1)
    node = net.add(Recorder("n1"))
    net.add(Recorder("n2"))
    node.trace("hint", "replayed hint x='1' to n2", "n2", action="replayed", key="x",
               target="n2")
    node.trace("note")
    hint, note = sim.trace.of_kind("hint", "note")
    assert (hint.node, hint.peer, hint.detail) == ("n1", "n2", "replayed hint x='1' to n2")
    assert dict(hint.data) == {"action": "replayed", "key": "x", "target": "n2"}
    assert note.data is NO_DATA


def test_trace_off_records_nothing_even_with_data():
    """A switched-off trace ignores events with fields as it does those without."""
    t = Trace(enabled=False)
    t.record(1, "role", "n1", data={"role": "primary"})
    assert len(t) == 0


def test_trace_frame_has_a_data_column_of_plain_dicts():
    """caplab.frames.trace_frame: one dict of fields per row (empty when none)."""
    from caplab.frames import trace_frame
    t = Trace()
    t.record(1, "send", "n1", "n2", 1, None, None)
    t.record(2, "role", "n2", detail="primary term=1", data={"role": "primary", "term": 1})
    frame = trace_frame(t)
    assert list(frame.columns)[-2:] == ["detail", "data"]
    assert frame.data.tolist() == [{}, {"role": "primary", "term": 1}]
    assert all(type(d) is dict for d in frame.data)
    primaries = frame[frame.data.map(lambda d: d.get("role") == "primary")]
    assert primaries.node.tolist() == ["n2"]

