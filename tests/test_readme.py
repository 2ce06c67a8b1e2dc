"""The README's claims: its first snippet does what its comments say, and the defaults its
mapping table names are the code's defaults."""

from __future__ import annotations

import re
from pathlib import Path

from caplab.kv.ap.ring import Ring
from caplab.kv.cp.replicaset import ReplicaSet
from caplab.frames import history_frame, replica_state_frame

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _first_python_block() -> str:
    return re.search(r"```python\n(.*?)```", README, re.S).group(1)


def test_first_partition_snippet_does_what_its_comments_say():
    """The isolated primary acknowledges a w:1 write, a new primary is elected, and after heal
    the write is rolled back and every node holds the majority's value."""
    code = _first_python_block()
    ns: dict = {}
    lines = code.splitlines()
    # Run line by line, keeping the results of the calls the comments talk about.
    results = {}
    for line in lines:
        stmt = line.split("#")[0].rstrip()
        if not stmt:
            continue
        if stmt.startswith("alice.put"):
            results.setdefault("puts", []).append(eval(stmt, ns))
        elif stmt.startswith("c.run_for(2000)"):
            exec(stmt, ns)
            results["primary_after_election"] = ns["c"].primary
        elif stmt in ("c.rollbacks()", "replica_state_frame(c)", "history_frame(c.history)"):
            results[stmt] = eval(stmt, ns)
        else:
            exec(stmt, ns)
            if stmt == "c.run_for(1500)":
                results["first_primary"] = ns["c"].primary
    assert results["first_primary"] == "n3"
    assert [r.ok for r in results["puts"]] == [True, True]
    assert results["primary_after_election"] == "n2"
    rolled = results["c.rollbacks()"]
    assert [(r["node"], r["key"], r["value"]) for r in rolled] == [("n3", "x", "2")]
    state = results["replica_state_frame(c)"]
    assert set(state["x"]) == {"1"} and len(state) == 3
    assert list(results["history_frame(c.history)"]["outcome"]) == ["ok", "ok"]


def _table_value(option: str) -> str:
    m = re.search(rf"`{option}=([^`]+)`", README)
    assert m, f"README names no default for {option}"
    return m.group(1).strip('"')


def test_mapping_table_defaults_are_the_code_defaults():
    cp, ap = ReplicaSet.OPTIONS, Ring.OPTIONS
    assert int(_table_value("heartbeat_ms")) == cp["heartbeat_ms"]
    assert int(_table_value("election_timeout_ms")) == cp["election_timeout_ms"]
    assert _table_value("write_concern") == cp["write_concern"]
    assert _table_value("catch_up_timeout_ms") == str(cp["catch_up_timeout_ms"])
    assert int(_table_value("hint_window_ms")) == ap["hint_window_ms"]
    assert int(_table_value("hint_ttl_ms")) == ap["hint_ttl_ms"]
    assert _table_value("read_repair") == ap["read_repair"]
