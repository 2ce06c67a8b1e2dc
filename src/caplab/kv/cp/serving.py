"""Client requests at a member: writes with a write concern, reads with a read preference and a
read concern.

* Write concern (MongoDB): ``w=1`` is acknowledged once the primary applied the write;
  ``w="majority"`` once the write is majority-committed; ``w=k`` once ``k`` members hold it.
  ``wtimeout_ms`` bounds the wait; a timeout is an error but does *not* undo the write.
* Read concern (MongoDB): ``local`` returns the member's latest data (it may be rolled back);
  ``majority`` the member's majority-committed snapshot; ``linearizable`` (primary only) reads,
  then confirms that the member is still primary by majority-committing a no-op write.
"""

from __future__ import annotations

from .messages import ReadReply, ReadRequest, WriteReply, WriteRequest

__all__ = ["ServingRules", "Waiter", "CAUSAL_WAIT_POLL_MS"]

#: how often a causally consistent read waiting for afterClusterTime looks again (ms)
CAUSAL_WAIT_POLL_MS = 10


class Waiter:
    """A write (or linearizable read) waiting on the primary for its write concern."""

    __slots__ = ("kind", "client", "op_id", "attempt", "index", "optime", "w", "wtimeout_ms",
                 "value", "timer")

    def __init__(self, kind, client, op_id, attempt, entry, w, wtimeout_ms, value=None):
        self.kind = kind
        self.client = client
        self.op_id = op_id
        self.attempt = attempt
        self.index = entry.index
        self.optime = entry.optime
        self.w = w
        self.wtimeout_ms = wtimeout_ms
        self.value = value
        self.timer = None


class ServingRules:
    """Mixin of :class:`~caplab.kv.cp.node.ReplicaNode`: what a member does with client requests."""

    def _not_primary_error(self) -> str:
        if self.role == "primary" and self.stepping_down:
            return (f"not primary: {self.name} is stepping down (rs.stepDown() waits for a "
                    f"secondary to catch up; writes fail meanwhile) (definite: not applied)")
        if self.role == "primary" and self.catch_up is not None:
            source = self.catch_up["source"]
            doing = (f"catching up from {source}" if source is not None
                     else "asking the members for their newest entries")
            return (f"not primary: {self.name} is primary-elect, {doing} before it accepts "
                    f"writes (MongoDB's catch-up phase) (definite: not applied)")
        known = self.primary_name if self.primary_name not in (None, self.name) else None
        where = f"; the primary is {known}" if known else "; no primary is known (election?)"
        return f"not primary: {self.name} is a {self.role}{where} (definite: not applied)"

    def _hint(self) -> str | None:
        """The primary to try instead: the one we know of, or our own name while we are a
        primary that does not accept writes yet (catching up, stepping down), so the driver can
        tell "wait for me" from "no primary known"."""
        if self.role == "primary":
            return self.name
        return self.primary_name if self.primary_name != self.name else None

    # -- writes ----------------------------------------------------------------------------
    def handle_write_request(self, msg: WriteRequest, src: str) -> None:
        """MongoDB: only the primary accepts writes; anything else answers NotWritablePrimary
        (so does a primary-elect still catching up, or a primary in rs.stepDown())."""
        if not self.writable:
            self.send(src, WriteReply(msg.op_id, msg.attempt, "not_primary",
                                      self._not_primary_error(), self._hint(), None))
            return
        session = (src, msg.op_id)
        entry = self.oplog.applied(session)
        if entry is not None:
            # MongoDB retryable writes: a retried (or duplicated) statement is recognised by
            # its session and transaction number and is not applied again; the server answers
            # with the outcome of the write already executed.
            self.trace("retry", f"write #{msg.op_id} from {src} already applied at optime "
                                f"{entry.optime}: not applied again", src,
                       op_id=msg.op_id, optime=entry.optime, applied=False)
        else:
            entry = self.oplog.append_new(self.term, "put", msg.key, msg.value, self.now,
                                          session)
            self.note_appended(entry, durable=msg.j or msg.w == "majority")
            self.replicate_all()
        if msg.w == 1:
            self.send(src, WriteReply(msg.op_id, msg.attempt, "ok", None, None, entry.optime))
            return
        waiter = Waiter("write", src, msg.op_id, msg.attempt, entry, msg.w, msg.wtimeout_ms)
        self.waiters.append(waiter)
        if msg.wtimeout_ms is not None:
            waiter.timer = self.set_timer(msg.wtimeout_ms, self.on_wtimeout, waiter)
        self.advance_commit()
        self.check_waiters()

    def write_concern_satisfied(self, waiter: Waiter) -> bool:
        if waiter.w == "majority":
            return self.oplog.commit_index >= waiter.index
        index = waiter.index
        return 1 + sum(1 for p in self.peers if self.match_index[p] >= index) >= waiter.w

    def check_waiters(self) -> None:
        if not self.waiters:
            return
        still = []
        for waiter in self.waiters:
            if self.write_concern_satisfied(waiter):
                if waiter.timer is not None:
                    waiter.timer.cancel()
                self.answer_waiter(waiter)
            else:
                still.append(waiter)
        self.waiters = still

    def answer_waiter(self, waiter: Waiter) -> None:
        if waiter.kind == "write":
            self.send(waiter.client, WriteReply(waiter.op_id, waiter.attempt, "ok", None, None,
                                                waiter.optime))
        else:
            value, optime = waiter.value
            self.send(waiter.client, ReadReply(waiter.op_id, waiter.attempt, "ok", value, None,
                                               None, optime, waiter.optime))

    def on_wtimeout(self, waiter: Waiter) -> None:
        """MongoDB: wtimeout returns a write concern error; the write is not undone."""
        if waiter not in self.waiters:
            return
        self.waiters.remove(waiter)
        if waiter.kind == "write":
            error = (f"write concern w={waiter.w!r} not satisfied within wtimeout "
                     f"{waiter.wtimeout_ms} ms: the write was applied on {self.name} at optime "
                     f"{waiter.optime} and is not undone; it may still replicate, or be rolled "
                     f"back (indefinite)")
            self.send(waiter.client, WriteReply(waiter.op_id, waiter.attempt, "wtimeout", error,
                                                None, waiter.optime))

    def fail_waiters(self, reason: str) -> None:
        """On step-down: every waiting operation learns it may or may not have happened."""
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if waiter.timer is not None:
                waiter.timer.cancel()
            if waiter.kind == "write":
                error = (f"primary {self.name} stepped down ({reason}) before write concern "
                         f"w={waiter.w!r} was satisfied: the write may or may not survive "
                         f"(indefinite)")
                self.send(waiter.client, WriteReply(waiter.op_id, waiter.attempt,
                                                    "stepped_down", error, None, waiter.optime))
            else:
                error = (f"linearizable read failed: {self.name} stepped down ({reason}) "
                         f"before confirming it was still primary")
                self.send(waiter.client, ReadReply(waiter.op_id, waiter.attempt, "failed",
                                                   None, error, None, None))

    # -- reads -----------------------------------------------------------------------------
    def handle_read_request(self, msg: ReadRequest, src: str) -> None:
        pref = msg.read_preference
        role = self.role
        if pref == "primary" or (pref == "primaryPreferred" and self.primary_name is not None):
            if not self.writable:
                self.send(src, ReadReply(msg.op_id, msg.attempt, "not_primary", None,
                                         self._not_primary_error(), self._hint(), None))
                return
        elif pref in ("secondary", "secondaryPreferred") and role == "primary":
            # secondaryPreferred too: the client tries the secondaries first and comes back to
            # the primary only when none answers (see the driver).
            self.send(src, ReadReply(msg.op_id, msg.attempt, "not_secondary", None,
                                     f"not secondary: {self.name} is the primary", None, None))
            return
        concern = msg.read_concern
        if msg.after_optime is not None and self.snapshot_optime(concern) < msg.after_optime:
            # MongoDB causal consistency: a read with afterClusterTime waits until the member's
            # snapshot (majority-committed for "majority", applied for "local") reaches it.
            self.set_timer(CAUSAL_WAIT_POLL_MS, self.handle_read_request, msg, src)
            return
        if concern == "majority":
            value, optime = self.oplog.get_committed(msg.key)
        else:
            value, optime = self.oplog.get(msg.key)
        if concern != "linearizable":
            self.send(src, ReadReply(msg.op_id, msg.attempt, "ok", value, None, None, optime,
                                     self.snapshot_optime(concern)))
            return
        self.confirm_and_answer(msg, src, value, optime)

    def snapshot_optime(self, concern: str) -> tuple:
        """The newest optime a read at ``concern`` sees on this member."""
        return self.oplog.commit_optime if concern == "majority" else self.oplog.last_optime

    def confirm_and_answer(self, msg: ReadRequest, src: str, value, optime) -> None:
        """MongoDB: a linearizable read on the primary waits for a majority-acknowledged no-op
        write, which proves that no other primary was elected since the read."""
        if not self.writable:
            return
        entry = self.oplog.append_new(self.term, "noop", None, "linearizable read", self.now)
        self.replicate_all()
        self.waiters.append(Waiter("read", src, msg.op_id, msg.attempt, entry, "majority", None,
                                   value=(value, optime)))
        self.advance_commit()
        self.check_waiters()
