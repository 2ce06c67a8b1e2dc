"""Brute-force references for the stale-read and lost-write checkers: the earlier quadratic
implementations, kept as plain loops over every pair, to test the fast ones against."""

from caplab.check.records import normalize_history
from caplab.check.versions import values_of, versions_by_key


def stale_reads(history) -> list[tuple]:
    """``(read id, versions behind, stale ms, newer write ids, latest value)`` per stale read,
    each superseding write found by scanning every write of the key."""
    records = normalize_history(history)
    versions = versions_by_key(records)
    out = []
    for rec in records:
        if rec["op"] != "get" or rec["outcome"] != "ok" or versions[rec["key"]].appends:
            continue
        kv = versions[rec["key"]]
        found = None
        for value in values_of(rec["value"]):
            done_before = [w for w in kv.writes if w["complete_ms"] < rec["invoke_ms"]]
            if value is None:
                newer = done_before
            else:
                w = kv.write_of(value)
                newer = (None if w is None or w["outcome"] != "ok" else
                         [x for x in done_before if x["invoke_ms"] > w["complete_ms"]])
            if not newer:
                found = None
                break
            if found is None or len(newer) < len(found):
                found = newer
        if found:
            latest = max(found, key=lambda w: (w["complete_ms"], w["row"]))
            out.append((rec["id"], len(found),
                        rec["invoke_ms"] - min(w["complete_ms"] for w in found),
                        tuple(w["id"] for w in found), kv.written_value(latest)))
    return out


def lost_writes(history) -> list[tuple]:
    """``(write id, evidence)`` per lost write, judged by the last read invoked after the
    write completed, found by scanning every read of the key."""
    records = normalize_history(history)
    versions = versions_by_key(records)
    reads = [r for r in records if r["op"] == "get" and r["outcome"] == "ok"]
    out = []
    for rec in records:
        if rec["op"] not in ("put", "append", "cas") or rec["outcome"] != "ok":
            continue
        later = [r for r in reads if r["key"] == rec["key"]
                 and r["invoke_ms"] > rec["complete_ms"]]
        if not later:
            continue
        last = max(later, key=lambda r: (r["invoke_ms"], r["row"]))
        kv = versions[rec["key"]]
        if all(kv.write_is_older(v, rec) for v in values_of(last["value"])):
            out.append((rec["id"], f"read {last['id']!r}"))
    return out
