"""The primary-elect's catch-up phase (MongoDB 3.4+, protocol version 1).

A member can win an election without holding the newest entries: voters refuse only candidates
*older* than themselves, so a fresher member that did not vote (or whose refusal came too late)
may hold writes the winner lacks, such as a ``w:2`` write that reached the old primary and one
secondary. MongoDB does not roll those back if it can help it: the newly elected primary

1. asks every member it believes up for its newest optime (MongoDB restarts heartbeats and
   waits until every member has answered, or failed to);
2. if some member is ahead, syncs from it until it holds that optime (the *catch-up target*),
   accepting no writes meanwhile (``isWritablePrimary: false``);
3. then writes its no-op in the new term and starts accepting writes.

Catch-up ends early when the target member is no longer up (MongoDB recomputes the target from
the members that are up) and, optionally, after ``catch_up_timeout_ms``
(``settings.catchUpTimeoutMillis``; MongoDB's default -1: no limit; 0 switches catch-up off).
Here the freshness scan waits for the members heard from within the election timeout, at most
one heartbeat interval (MongoDB waits for every member's heartbeat answer or failure); a source
that has not answered for an election timeout is given up. MongoDB's *catch-up takeover* (the
fresher member deposes a primary that stays behind for ``catchUpTakeoverDelayMillis``) is not
modelled.
"""

from __future__ import annotations

from .messages import CatchUpBatch, CatchUpRequest
from .replication import BATCH

__all__ = ["CatchUpRules"]


class CatchUpRules:
    """Mixin of :class:`~caplab.kv.cp.node.ReplicaNode`: the primary-elect's catch-up phase."""

    @property
    def writable(self) -> bool:
        """Primary, done catching up and not stepping down: accepts writes and primary reads."""
        return self.role == "primary" and self.catch_up is None and not self.stepping_down

    def start_catch_up(self, up: set) -> None:
        """Called by ``become_primary`` with the members heard from within the election timeout
        (before the new primary's grace period): ask them for their newest optime."""
        timeout = self.rs.config["catch_up_timeout_ms"]
        if timeout == 0:
            # MongoDB: catchUpTimeoutMillis 0 switches catch-up off; the new primary writes its
            # no-op at once (what Raft does: the voting rule alone keeps committed data).
            self.catch_up = None
            self.finish_catch_up("catch-up is off (catch_up_timeout_ms=0)")
            return
        awaiting = set(up)
        # optimes: member -> (newest optime, when it told us); answered_ms: when the source
        # last answered (or was chosen); given_up: sources that stopped answering.
        self.catch_up = {"start_ms": self.now, "awaiting": awaiting, "optimes": {},
                         "source": None, "target": None, "asked_ms": None, "answered_ms": None,
                         "given_up": set(), "fetched": 0}
        self.trace("catch-up", "primary-elect: asking " + (", ".join(sorted(awaiting)) or
                                                           "nobody") + " for their newest optime",
                   action="asking", term=self.term, asking=tuple(sorted(awaiting)))
        if timeout is not None:
            self.set_timer(timeout, self.on_catch_up_timeout, self.term)
        self.set_timer(self.heartbeat_ms, self.conclude_freshness_scan, self.term)
        self.replicate_all()             # empty pushes: the acks carry each member's optime
        if not awaiting:
            self.conclude_freshness_scan(self.term)

    def note_member_optime(self, src: str, optime) -> None:
        """A member's newest optime reached the primary-elect (in a ReplicateAck)."""
        catch_up = self.catch_up
        if catch_up is None:
            return
        catch_up["optimes"][src] = (tuple(optime), self.now)
        if catch_up["source"] is None and src in catch_up["awaiting"]:
            catch_up["awaiting"].discard(src)
            if not catch_up["awaiting"]:
                self.conclude_freshness_scan(self.term)

    def conclude_freshness_scan(self, term: int) -> None:
        """Every member that is up has answered (or the heartbeat interval passed): pick the
        newest optime as the target and the member holding it as the sync source."""
        catch_up = self.catch_up
        if catch_up is None or term != self.term or catch_up["source"] is not None:
            return
        self.choose_catch_up_source("freshness scan")

    def choose_catch_up_source(self, why: str) -> None:
        catch_up = self.catch_up
        horizon = self.now - self.election_timeout_ms
        mine = self.oplog.last_optime
        best, best_optime = None, mine
        for peer in self.peers:   # in member order: ties go to the first member
            known = catch_up["optimes"].get(peer)
            if known is None or peer in catch_up["given_up"]:
                continue
            optime, told_ms = known
            # "up": told us within the election timeout (the detector gave every member a
            # grace period at the election, so it alone cannot say), and still heard from since.
            if optime > best_optime and told_ms > horizon \
                    and self.detector.is_alive(peer, self.now):
                best, best_optime = peer, optime
        if best is None:
            self.finish_catch_up(f"already holds the newest optime {mine} of the members "
                                 f"that are up ({why})")
            return
        catch_up.update(source=best, target=best_optime, answered_ms=self.now)
        self.trace("catch-up", f"{best} is ahead ({best_optime} > {mine}): syncing from it "
                               f"before accepting writes ({why})", best,
                   action="syncing", term=self.term, source=best, target=tuple(best_optime),
                   optime=tuple(mine), reason=why)
        self.request_catch_up()

    def request_catch_up(self) -> None:
        catch_up = self.catch_up
        catch_up["asked_ms"] = self.now
        self.send(catch_up["source"], CatchUpRequest(self.term, self.oplog.last_optime))

    def handle_catch_up_request(self, msg: CatchUpRequest, src: str) -> None:
        """A member serves as the primary-elect's sync source: the entries after its newest
        one, if our oplog holds that entry (else we diverged and cannot serve)."""
        self.observe_term(msg.term, src)
        self.detector.heard(src, self.now)
        if msg.term < self.term:
            return
        oplog = self.oplog
        prev_term, prev_index = msg.last_optime
        if prev_index > oplog.last_index or oplog.term_at(prev_index) != prev_term:
            self.send(src, CatchUpBatch(self.term, tuple(msg.last_optime), (), oplog.last_optime,
                                        True))
            return
        self.send(src, CatchUpBatch(self.term, tuple(msg.last_optime),
                                    oplog.since(prev_index, BATCH), oplog.last_optime, False))

    def handle_catch_up_batch(self, msg: CatchUpBatch, src: str) -> None:
        self.detector.heard(src, self.now)
        if self.observe_term(msg.term, src):
            return
        if self.catch_up is None and self.role == "secondary":
            self.handle_chained_batch(msg, src)   # chained replication (chaining.py)
            return
        catch_up = self.catch_up
        if (catch_up is None or msg.term != self.term or src != catch_up["source"]
                or tuple(msg.prev_optime) != self.oplog.last_optime):
            return   # stale: an earlier request, or catch-up already over
        if msg.diverged:
            self.finish_catch_up(f"{src}'s oplog does not hold my newest entry "
                                 f"{self.oplog.last_optime}: it cannot be a sync source")
            return
        for entry in msg.entries:
            self.oplog.append(entry)
        catch_up["fetched"] += len(msg.entries)
        catch_up["answered_ms"] = self.now
        catch_up["optimes"][src] = (tuple(msg.last_optime), self.now)
        if self.oplog.last_optime >= catch_up["target"]:
            self.finish_catch_up(f"caught up to {catch_up['target']} from {src} "
                                 f"({catch_up['fetched']} entries)")
        elif msg.entries:
            self.request_catch_up()
        else:
            self.finish_catch_up(f"{src} sent nothing new")

    def tick_catch_up(self) -> None:
        """Each heartbeat of a primary-elect: re-ask a silent source, and give up on one that
        is no longer up, or has not answered for an election timeout (a one-way cut: we hear
        it, it does not hear us). MongoDB recomputes the target from the members that are up."""
        catch_up = self.catch_up
        if catch_up is None or catch_up["source"] is None:
            return
        source = catch_up["source"]
        horizon = self.now - self.election_timeout_ms
        down = not self.detector.is_alive(source, self.now)
        if down or catch_up["answered_ms"] <= horizon:
            catch_up["given_up"].add(source)
            catch_up.update(source=None, target=None)
            why = (f"{source} is no longer up" if down else
                   f"{source} has not answered for {self.election_timeout_ms} ms")
            self.choose_catch_up_source(why)
        elif self.now - catch_up["asked_ms"] >= self.heartbeat_ms:
            self.request_catch_up()

    def on_catch_up_timeout(self, term: int) -> None:
        if self.catch_up is None or term != self.term or self.role != "primary":
            return
        self.finish_catch_up(f"catch_up_timeout_ms={self.rs.config['catch_up_timeout_ms']} "
                             f"passed (settings.catchUpTimeoutMillis)")

    def finish_catch_up(self, reason: str) -> None:
        """Write the no-op of the new term and accept writes."""
        catch_up, self.catch_up = self.catch_up, None
        facts = catch_up or {}   # None when catch-up is off
        reached, target = tuple(self.oplog.last_optime), facts.get("target")
        self.oplog.append_new(self.term, "noop", None, "new primary", self.now)
        self.trace("catch-up", f"done, accepting writes: {reason}",
                   action="done", term=self.term, reason=reason, optime=reached,
                   source=facts.get("source"), fetched=facts.get("fetched", 0),
                   caught_up=target is not None and reached >= tuple(target),
                   given_up=tuple(sorted(facts.get("given_up", ()))),
                   elapsed_ms=self.now - facts.get("start_ms", self.now))
        self.advance_commit()
        self.replicate_all()
