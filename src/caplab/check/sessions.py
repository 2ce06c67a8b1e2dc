"""Session guarantees per client (Terry et al. 1994, "Session guarantees for weakly consistent
replicated data"): read-your-writes and monotonic reads.

- *Read your writes*: after a client's write to a key is acknowledged, that client's later reads
  of the key return it or something newer. Violated when a later read returns a value
  definitely older than the client's last acknowledged write (absent, or written by a write that
  completed before that write was invoked). Typical cause: the read went to a lagging replica.
- *Monotonic reads*: a client's successive reads of a key never go back in time. Violated when a
  read returns a value definitely older than the one the client's previous read of that key
  returned.

"Definitely older" follows real time and assumes unique written values per key (see
:mod:`caplab.check.versions`); overlapping writes are never called older or newer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnknownNameError
from .records import normalize_history
from ..history.result import CheckResult, join_reasons
from .versions import values_of, versions_by_key

__all__ = ["SessionViolation", "SessionResult", "check_sessions", "READ_YOUR_WRITES",
           "MONOTONIC_READS"]

READ_YOUR_WRITES = "read-your-writes"
MONOTONIC_READS = "monotonic reads"


@dataclass(frozen=True)
class SessionViolation:
    """Read ``id`` by ``client`` returned ``value``, older than ``expected`` from op ``after_id``
    (the client's own write, or its previous read)."""

    guarantee: str
    id: object
    client: object
    key: object
    value: object
    after_id: object
    expected: object


def _reason(v: SessionViolation) -> str:
    what = "its own write" if v.guarantee == READ_YOUR_WRITES else "its previous read"
    return (f"{v.guarantee}: op {v.id!r} by {v.client!r} read {v.key!r}={v.value!r}, older "
            f"than {v.expected!r} from {what} (op {v.after_id!r})")


@dataclass(frozen=True, kw_only=True)
class SessionResult(CheckResult):
    """Result of :func:`check_sessions` (a :class:`~caplab.history.result.CheckResult`);
    ``.guarantee(name)`` is the result for one guarantee alone.

    ``details``: ``violations`` (the :class:`SessionViolation` records, in history order),
    ``clients`` (guarantee -> the clients that violated it, sorted).
    """

    @classmethod
    def from_findings(cls, violations: tuple,
                      checker: str = "session guarantees") -> "SessionResult":
        """The result for these violations (``checker`` names the guarantee, if only one)."""
        offending, reasons = join_reasons((v.id, _reason(v)) for v in violations)
        clients = {g: sorted({v.client for v in violations if v.guarantee == g}, key=repr)
                   for g in (READ_YOUR_WRITES, MONOTONIC_READS)}
        return cls(checker=checker, valid=not violations, offending=offending,
                   reasons=reasons, details={"violations": tuple(violations),
                                             "clients": clients})

    @property
    def violations(self) -> tuple:
        return self.details["violations"]

    def of(self, guarantee: str) -> tuple:
        """The violations of one guarantee (``READ_YOUR_WRITES`` or ``MONOTONIC_READS``)."""
        return tuple(v for v in self.violations if v.guarantee == guarantee)

    def guarantee(self, guarantee: str) -> "SessionResult":
        """The result for one guarantee alone (its ``checker`` is the guarantee's name)."""
        if guarantee not in (READ_YOUR_WRITES, MONOTONIC_READS):
            raise UnknownNameError("session guarantee", guarantee,
                                   [READ_YOUR_WRITES, MONOTONIC_READS])
        return SessionResult.from_findings(self.of(guarantee), checker=guarantee)

    def explain(self) -> str:
        if self.ok:
            if self.checker in (READ_YOUR_WRITES, MONOTONIC_READS):
                return f"{self.checker} holds for every client."
            return "read-your-writes and monotonic reads hold for every client."
        lines = [f"{len(self.violations)} session guarantee violation(s):"]
        lines += [f"  - {_reason(v)}" for v in self.violations]
        return "\n".join(lines)

    def brief(self) -> str:
        if self.ok:
            return "holds for every client"
        clients = sorted({v.client for v in self.violations}, key=repr)
        return f"violated by {len(clients)} client(s): {', '.join(map(str, clients))}"

    def to_frame(self):
        """One row per violation: the fields of :class:`SessionViolation`."""
        import pandas as pd
        cols = ["guarantee", "id", "client", "key", "value", "after_id", "expected"]
        return pd.DataFrame([{c: getattr(v, c) for c in cols} for v in self.violations],
                            columns=cols)


def check_sessions(history) -> SessionResult:
    """Check read-your-writes and monotonic reads for every client.

    Args:
        history: a :class:`~caplab.history.History`, a list of record dicts, or a DataFrame.

    Returns:
        A :class:`SessionResult` (``.ok``, ``.violations``, ``.of(guarantee)``, ``.explain()``).

    Raises:
        HistoryError: the history is malformed.

    Example:
        >>> h = [dict(client="a", op="put", key="x", value=1, invoke_ms=0, complete_ms=5,
        ...           outcome="ok"),
        ...      dict(client="a", op="get", key="x", value=None, invoke_ms=6, complete_ms=9,
        ...           outcome="ok")]
        >>> check_sessions(h).violations[0].guarantee
        'read-your-writes'
    """
    records = normalize_history(history)
    versions = versions_by_key(records)
    # A client is sequential, so its operations in invocation order are its session.
    ordered = sorted(records, key=lambda r: (r["invoke_ms"], r["row"]))
    last_write: dict = {}  # (client, key) -> the client's last acknowledged write
    last_read: dict = {}   # (client, key) -> the client's previous ok read
    found = []
    for rec in ordered:
        session = (rec["client"], rec["key"])
        kv = versions[rec["key"]]
        if rec["outcome"] != "ok":
            continue
        if rec["op"] != "get":
            last_write[session] = rec
            continue
        got = values_of(rec["value"])
        write = last_write.get(session)
        if write is not None and all(kv.write_is_older(v, write) for v in got):
            found.append(SessionViolation(READ_YOUR_WRITES, rec["id"], rec["client"],
                                          rec["key"], rec["value"], write["id"],
                                          kv.written_value(write)))
        previous = last_read.get(session)
        if previous is not None:
            before = values_of(previous["value"])
            # Older than the previous read: every value now read is older than some value
            # read then (siblings count as alternatives).
            if all(any(kv.older(v, b) for b in before) for v in got):
                found.append(SessionViolation(MONOTONIC_READS, rec["id"], rec["client"],
                                              rec["key"], rec["value"], previous["id"],
                                              previous["value"]))
        last_read[session] = rec
    row_of = {r["id"]: r["row"] for r in records}
    found.sort(key=lambda v: (row_of[v.id], v.guarantee))
    return SessionResult.from_findings(tuple(found))
