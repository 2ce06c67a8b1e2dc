"""Lightweight transactions (Cassandra LWT): compare-and-set through Paxos, and SERIAL reads.

A conditional write (``INSERT ... IF NOT EXISTS``, ``UPDATE ... IF col = x``) runs Paxos among
the key's replicas, in Cassandra's four round trips between the coordinator (the proposer) and
the replicas (the acceptors):

1. *prepare / promise*: the coordinator picks a ballot (a timestamp above every ballot it has
   seen, then its name) and asks every live replica to promise to ignore lower ballots; each
   answers with its in-progress proposal (accepted, maybe not committed) and its most recent
   commit. A quorum of promises is needed. If one promise shows an in-progress proposal newer
   than the most recent commit, the coordinator first finishes *that* proposal (proposes and
   commits it with its own ballot: Paxos repair), then starts again.
2. *read / results*: a quorum read of the current value (with the most recent commit seen in
   the promises), and the condition is evaluated.
3. *propose / accept*: if the condition holds, the new value is proposed with the ballot; a
   replica accepts unless it has promised a higher ballot. A quorum of accepts decides it.
4. *commit / acknowledge*: the value is written to the replicas' data with the ballot's
   timestamp, and the coordinator waits for the commit's consistency level (``consistency=``,
   QUORUM by default; ANY waits for none).

If the condition does not hold, the answer is ``[applied]=False`` with the current value (an
operation that completed and wrote nothing: outcome ``fail``, the value in ``output``).
A read at ``SERIAL`` (or ``LOCAL_SERIAL``) runs phases 1 and 2: it finishes any in-progress
proposal it finds (so a CAS whose outcome was unknown is decided) and reads.

Outcomes (definite only when nothing of this operation can have been applied):

* fewer live replicas than a quorum: ``fail`` (Cassandra: Unavailable), nothing sent;
* prepare or read not answered by a quorum in ``request_timeout_ms``, or every retry lost to
  another proposer until ``cas_contention_timeout_ms``: ``fail`` (nothing of ours proposed);
* our proposal refused by every replica: retried with a higher ballot (Cassandra retries only
  when the proposal is fully refused); accepted by some but not a quorum, or not answered in
  time: ``info`` (Cassandra: a CAS write timeout; a later Paxos round may still complete it);
* a quorum accepted but the commit is not acknowledged at its level in time: ``info``.

Contending proposers back off for a random 1..``cas_backoff_ms`` before retrying (Cassandra
sleeps a random time up to 100 ms). Paxos state is durable (Cassandra's ``system.paxos``).
Deviations: no Paxos v2 (Cassandra 4.1 merges prepare and read), no empty proposal after a
failed condition, and Paxos state is never purged.
"""

from __future__ import annotations

from .coordinator import required_replicas
from .messages import (ClientReply, Commit, CommitAck, Prepare, Promise, Propose, ProposeReply,
                       ReadRequest)
from .versions import Version, reconcile, values_of

__all__ = ["PaxosMixin", "PaxosState", "NO_BALLOT", "SERIAL_LEVELS", "NOT_APPLIED",
           "cas_records"]

NO_BALLOT = (-1, "")
SERIAL_LEVELS = ("serial", "local_serial")
#: how the error of a cas whose condition failed begins (Cassandra's ``[applied]`` column)
NOT_APPLIED = "[applied]=False"


def cas_records(history) -> list[dict]:
    """The records of ``history`` for the cas-register model (Porcupine's reading, in which a
    ``fail`` cas *observed* a value other than the one it expected): a cas refused before it
    compared anything (unavailable, a timeout in prepare, contention) observed nothing and never
    happened, so it is left out; a cas answered ``[applied]=False`` is kept.

    Args:
        history: a :class:`~caplab.history.History` (or an iterable of its operations).

    Returns:
        A list of record dicts for :func:`caplab.check.check_linearizability`.

    Example:
        >>> from caplab.history.models import cas_register_model       # doctest: +SKIP
        >>> check_linearizability(cas_records(c.history), cas_register_model()).ok   # doctest: +SKIP
        True
    """
    out = []
    for op in history:
        rec = op.record()
        if rec["op"] == "cas" and rec["outcome"] == "fail" and \
                not (rec.get("error") or "").startswith(NOT_APPLIED):
            continue
        out.append(rec)
    return out


class PaxosState:
    """What a replica remembers of Paxos for one key (durable, Cassandra's system.paxos)."""

    __slots__ = ("promised", "accepted_ballot", "accepted", "commit_ballot", "committed",
                 "ever_accepted")

    def __init__(self) -> None:
        self.promised = NO_BALLOT
        self.ever_accepted: set = set()   # so a duplicated proposal is answered the same way
        self.accepted_ballot, self.accepted = NO_BALLOT, None
        self.commit_ballot, self.committed = NO_BALLOT, None


class _Cas:
    __slots__ = ("key", "client", "op_id", "expected", "new", "read_only", "commit_required",
                 "quorum", "ballot", "phase", "replies", "timer", "started_ms", "req_id",
                 "latest", "proposal", "rounds", "asked", "local")


class PaxosMixin:
    """Coordinator and replica handlers of Paxos on a :class:`~caplab.kv.ap.node.RingNode`."""

    # -- coordinator: start -----------------------------------------------------------------
    def handle_client_cas(self, msg, src: str) -> None:
        # A duplicated request must not run a second Paxos round for the same operation: its
        # [applied]=False (the first round already wrote the value) could reach the client first.
        if (src, msg.op_id) in self.cas_seen:
            return
        self.cas_seen.add((src, msg.op_id))
        self.paxos_start(msg, src, read_only=False)

    def paxos_start(self, msg, src: str, *, read_only: bool) -> None:
        """Begin a CAS (``read_only=False``) or a SERIAL read, or refuse it as unavailable."""
        b = self.backend
        serial = msg.consistency if read_only else msg.serial
        local = serial == "local_serial" and b.dc_of
        # LOCAL_SERIAL: Paxos among the local datacenter's replicas only (Cassandra).
        rf = b.options["datacenters"][b.dc_of[self.name]] if local else b.rf
        quorum = required_replicas("quorum", rf)
        alive = self.paxos_targets(msg.key, local=bool(local))
        if len(alive) < quorum:
            what = "get at serial" if read_only else "cas"
            self.send(src, ClientReply(msg.op_id, "fail", error=(
                f"unavailable: Paxos needs a quorum of {quorum} replicas, alive {len(alive)} "
                f"(definite: nothing proposed)")))
            self.trace("unavailable", f"{what} {msg.key} needed {quorum} alive {len(alive)}",
                       src, op=what, key=msg.key, required=quorum, alive=len(alive))
            return
        st = _Cas()
        st.key, st.client, st.op_id, st.read_only, st.quorum = msg.key, src, msg.op_id, \
            read_only, quorum
        st.expected = None if read_only else msg.expected
        st.new = None if read_only else msg.new
        st.local = bool(local)
        level = "quorum" if read_only else msg.consistency
        st.commit_required = None if level == "any" else self.need(level)
        st.started_ms, st.req_id, st.timer, st.rounds = self.now, None, None, 0
        self.paxos_prepare(st)

    def paxos_targets(self, key: str, *, local: bool = False) -> list[str]:
        """The live replicas of ``key`` (``local``: in this node's datacenter only)."""
        b = self.backend
        here = b.dc_of.get(self.name)
        return [n for n in b.hashring.preference_list(key, b.rf) if self.is_alive(n)
                and (not local or b.dc_of.get(n) == here)]

    def next_ballot(self) -> tuple:
        """A ballot above every ballot this node has seen (Cassandra: a timeUUID at least one
        microsecond above the last one), ties broken by the proposer's name."""
        ts = max(self.local_time(), self.ballot_seen + 1)
        self.ballot_seen = ts
        return (ts, self.name)

    def _phase(self, st, phase: str, targets, msg_of) -> None:
        """Send one round (a new request id, so late replies of an earlier round are ignored)."""
        if st.req_id is not None:
            self.requests.pop(st.req_id, None)
        if st.timer is not None:
            st.timer.cancel()
        st.req_id = self.new_id()
        st.phase, st.replies, st.asked = phase, {}, len(targets)
        self.requests[st.req_id] = st
        for node in targets:
            self.send(node, msg_of(st.req_id))
        st.timer = self.set_timer(self.backend.options["request_timeout_ms"],
                                  self.on_paxos_timeout, st, st.req_id)

    def paxos_prepare(self, st) -> None:
        targets = self.paxos_targets(st.key, local=st.local)
        if len(targets) < st.quorum:
            self.paxos_finish(st, "fail", error=(
                f"unavailable: Paxos needs a quorum of {st.quorum} replicas, alive "
                f"{len(targets)} (definite: nothing of this operation was proposed)"))
            return
        st.rounds += 1
        st.ballot = self.next_ballot()
        self.trace("paxos", f"prepare {st.key} ballot={st.ballot[0]}.{st.ballot[1]}", None,
                   action="prepare", key=st.key, ballot=st.ballot)
        self._phase(st, "prepare", targets, lambda r: Prepare(r, st.key, st.ballot))

    # -- coordinator: phase 1, promises -------------------------------------------------------
    def handle_promise(self, msg, src: str) -> None:
        st = self.requests.get(msg.req_id)
        if not isinstance(st, _Cas) or st.phase != "prepare" or src in st.replies:
            return
        st.replies[src] = msg
        self.ballot_seen = max(self.ballot_seen, msg.promised[0], msg.accepted_ballot[0],
                               msg.commit_ballot[0])
        promised = [m for m in st.replies.values() if m.ok]
        if len(promised) >= st.quorum:
            self.on_promised(st, promised)
        elif len(promised) + st.asked - len(st.replies) < st.quorum:
            self.paxos_contended(st, "prepare refused: a higher ballot was promised")

    def on_promised(self, st, promised) -> None:
        latest = max(promised, key=lambda m: m.commit_ballot)
        progress = max(promised, key=lambda m: m.accepted_ballot)
        if max(latest.commit_ballot[0], progress.accepted_ballot[0]) >= st.ballot[0]:
            # A committed value is stamped with its ballot's timestamp; ours must be later than
            # every one seen, or last-write-wins could order the two values the wrong way
            # (Cassandra also picks a ballot above the most recent commit). Start again.
            self.paxos_prepare(st)
            return
        if progress.accepted is not None and progress.accepted_ballot > latest.commit_ballot:
            # An in-progress proposal newer than the last commit: finish it first (Cassandra:
            # "finishing incomplete paxos round"), with our ballot, then start again.
            self.trace("paxos", f"repair {st.key}: finishing in-progress proposal "
                                f"{progress.accepted.value!r}", None, action="repair",
                       key=st.key, value=progress.accepted.value)
            st.proposal = progress.accepted
            self._phase(st, "repair", list(st.replies),
                        lambda r: Propose(r, st.key, st.ballot, st.proposal))
            return
        st.latest = latest.committed
        # Replicas that missed the most recent commit get it again (Cassandra does the same
        # before reading, so the quorum read sees it).
        for node, m in st.replies.items():
            if m.ok and latest.committed is not None and m.commit_ballot < latest.commit_ballot:
                self.send(node, Commit(0, st.key, latest.commit_ballot, latest.committed))
        readers = [n for n, m in st.replies.items() if m.ok][:st.quorum]
        self._phase(st, "read", readers, lambda r: ReadRequest(r, st.key))

    # -- coordinator: phase 2, the read ------------------------------------------------------
    def handle_read_response(self, msg, src: str) -> None:
        st = self.requests.get(msg.req_id)
        if not isinstance(st, _Cas):
            super().handle_read_response(msg, src)
            return
        if st.phase != "read" or src in st.replies:
            return
        st.replies[src] = msg.versions
        if len(st.replies) < st.quorum:
            return
        versions = [v for vs in st.replies.values() for v in vs]
        if st.latest is not None:
            versions.append(st.latest)
        current = values_of(reconcile(versions, "lww"))
        if st.read_only:
            self.paxos_finish(st, "ok", value=current)
        elif current != st.expected:
            self.paxos_finish(st, "fail", value=current, applied=False, error=(
                f"{NOT_APPLIED}: {st.key} holds {current!r}, not {st.expected!r} (the "
                f"condition failed; nothing written)"))
        else:
            st.proposal = Version(st.new, st.ballot[0], (), self.name, self.now)
            self._phase(st, "propose", self.paxos_targets(st.key, local=st.local),
                        lambda r: Propose(r, st.key, st.ballot, st.proposal))

    # -- coordinator: phase 3, accepts --------------------------------------------------------
    def handle_propose_reply(self, msg, src: str) -> None:
        st = self.requests.get(msg.req_id)
        if not isinstance(st, _Cas) or st.phase not in ("propose", "repair") or \
                src in st.replies:
            return
        st.replies[src] = msg.ok
        self.ballot_seen = max(self.ballot_seen, msg.promised[0])
        accepted = sum(st.replies.values())
        if accepted >= st.quorum:
            self.paxos_commit(st)
            return
        refused = len(st.replies) - accepted
        pending = st.asked - len(st.replies)
        if accepted + pending >= st.quorum:
            return   # a quorum is still possible
        if st.phase == "repair" or (accepted == 0 and pending == 0):
            # Someone else's proposal, or ours fully refused (Cassandra retries only then):
            # nothing of this operation was accepted, so try again with a higher ballot.
            self.paxos_contended(st, f"proposal refused by {refused} replicas")
        elif accepted > 0:
            self.paxos_finish(st, "info", error=(
                f"timeout: proposal of {st.key}={st.new!r} accepted by {accepted} of "
                f"{st.quorum} needed, refused by {refused} (a higher ballot); it may still be "
                f"completed by a later Paxos round (indefinite)"))

    # -- coordinator: phase 4, commit -----------------------------------------------------------
    def paxos_commit(self, st) -> None:
        b = self.backend
        phase = "repair-commit" if st.phase == "repair" else "commit"
        preference_list = b.hashring.preference_list(st.key, b.rf)
        alive = [n for n in preference_list if self.is_alive(n)]
        for node in preference_list:
            if node not in alive:
                self.store_hint(node, st.key, st.proposal, "Paxos commit, replica seen down")
        self.trace("paxos", f"commit {st.key}={st.proposal.value!r}", None, action="commit",
                   key=st.key, value=st.proposal.value, repair=phase == "repair-commit")
        self._phase(st, phase, alive, lambda r: Commit(r, st.key, st.ballot, st.proposal))
        if phase == "commit" and st.commit_required is None:
            self.paxos_finish(st, "ok", value=st.new, applied=True)

    def handle_commit_ack(self, msg, src: str) -> None:
        st = self.requests.get(msg.req_id)
        if not isinstance(st, _Cas) or st.phase not in ("commit", "repair-commit"):
            return
        st.replies[src] = True
        if st.phase == "repair-commit" and len(st.replies) >= st.quorum:
            self.paxos_prepare(st)           # the in-progress round is done: start ours again
        elif st.phase == "commit" and st.commit_required.met(st.replies):
            self.paxos_finish(st, "ok", value=st.new, applied=True)

    # -- coordinator: timeouts, contention, the answer ---------------------------------------
    def on_paxos_timeout(self, st, req_id: int) -> None:
        if st.req_id != req_id or self.requests.get(req_id) is not st:
            return
        limit = self.backend.options["request_timeout_ms"]
        got = len(st.replies)
        if st.phase == "propose":
            self.paxos_finish(st, "info", error=(
                f"timeout: the proposal of {st.key}={st.new!r} was acknowledged as accepted by "
                f"{sum(st.replies.values())} of {st.quorum} needed within {limit} ms; it may "
                f"have been applied, and a later SERIAL read or CAS completes it (indefinite)"))
        elif st.phase == "commit":
            self.paxos_finish(st, "info", error=(
                f"timeout: the commit of {st.key}={st.new!r} was acknowledged by {got} of "
                f"{st.commit_required} within {limit} ms; a quorum accepted it, so a later "
                f"Paxos round completes it (indefinite)"))
        else:
            what = "the read" if st.read_only else "the operation"
            self.paxos_finish(st, "fail", error=(
                f"timeout: Paxos {st.phase} of {st.key} answered by {got} of {st.quorum} "
                f"within {limit} ms (definite: nothing of {what} was proposed)"))

    def paxos_contended(self, st, why: str) -> None:
        opts = self.backend.options
        if self.now - st.started_ms >= opts["cas_contention_timeout_ms"]:
            self.paxos_finish(st, "fail", error=(
                f"timeout: contention on {st.key} for {opts['cas_contention_timeout_ms']} ms "
                f"({why}; definite: nothing of this operation was accepted)"))
            return
        self.requests.pop(st.req_id, None)
        st.timer.cancel()
        st.phase = "backoff"
        delay = self.rng("paxos").randint(1, opts["cas_backoff_ms"])
        self.trace("paxos", f"contention on {st.key}: {why}; retry in {delay} ms", None,
                   action="contention", key=st.key, delay_ms=delay)
        self.set_timer(delay, self.paxos_prepare, st)

    def paxos_finish(self, st, outcome: str, *, value=None, applied=None, error=None) -> None:
        if st.req_id is not None:
            self.requests.pop(st.req_id, None)
        if st.timer is not None:
            st.timer.cancel()
        st.phase = "done"
        self.send(st.client, ClientReply(st.op_id, outcome, value=value, error=error,
                                         applied=applied))

    # -- replica (acceptor) -------------------------------------------------------------------
    def paxos_state(self, key: str) -> PaxosState:
        state = self.paxos.get(key)
        if state is None:
            state = self.paxos[key] = PaxosState()
        return state

    def handle_prepare(self, msg, src: str) -> None:
        s = self.paxos_state(msg.key)
        ok = msg.ballot > s.promised or msg.ballot == s.promised   # a duplicate: same answer
        if ok:
            s.promised = msg.ballot
        self.send(src, Promise(msg.req_id, msg.key, ok, s.promised, s.accepted_ballot,
                               s.accepted, s.commit_ballot, s.committed))

    def handle_propose(self, msg, src: str) -> None:
        s = self.paxos_state(msg.key)
        if msg.ballot in s.ever_accepted:
            # A duplicated proposal, after a higher promise maybe: it *was* accepted, and
            # answering "refused" could make its proposer think nobody accepted it.
            self.send(src, ProposeReply(msg.req_id, msg.key, True, s.promised))
            return
        ok = msg.ballot >= s.promised
        if ok:
            s.promised = msg.ballot
            s.accepted_ballot, s.accepted = msg.ballot, msg.version
            s.ever_accepted.add(msg.ballot)
        self.send(src, ProposeReply(msg.req_id, msg.key, ok, s.promised))

    def handle_commit(self, msg, src: str) -> None:
        s = self.paxos_state(msg.key)
        self.apply(msg.key, (msg.version,), report_loss=True)
        if s.accepted_ballot <= msg.ballot:
            s.accepted_ballot, s.accepted = NO_BALLOT, None
        if msg.ballot > s.commit_ballot:
            s.commit_ballot, s.committed = msg.ballot, msg.version
        if msg.req_id:
            self.send(src, CommitAck(msg.req_id, msg.key))
