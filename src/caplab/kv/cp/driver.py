"""The client library of the replica set: server selection, redirects and what replies mean.

Like a MongoDB driver:

* writes and primary reads go to the primary the client knows of (at first its ``near`` node);
  a member that is not primary answers "not primary" (definite) naming the primary it knows,
  and the driver retries once there (retryable writes retry once);
* while no member knows a primary (an election), the driver waits ``retry_backoff_ms`` and asks
  again, until the operation's timeout (server selection); if no write was ever accepted the
  outcome is a definite failure;
* retryable writes (``retry_writes``, on by default as in drivers since MongoDB 4.2): a write
  that gets no answer within the election timeout plus two heartbeats (a network error), or
  whose primary stepped down before its write concern was met, is retried once at the primary
  the driver then finds. The server recognises the retry by its session and applies it at most
  once, so a failover turns what would be an unknown outcome into a known one;
* a network timeout makes the driver forget the primary it knew (the server becomes Unknown);
  a read with no answer within the election timeout plus two heartbeats (time for a deposed
  primary to step down and say so) is retried once at another member (retryable reads);
* ``secondary`` reads go to a secondary (the near node first), ``nearest`` to the near node;
  ``primaryPreferred`` reads the primary, or a secondary when no primary answers or is known;
  ``secondaryPreferred`` the reverse.

One attempt at a time: a reply counts only for the attempt in progress, and only once (a
network that duplicates a "not primary" reply must not start two retries). An ``ok`` from an
earlier attempt still completes the operation: the write was applied (the server applies a
retried write once: :mod:`caplab.kv.cp.serving`). A write ends as a definite failure only when
no attempt can have been applied; otherwise its outcome is unknown (``info``).
"""

from __future__ import annotations

from ..backend import Driver
from .messages import ReadReply, ReadRequest, WriteReply, WriteRequest
from .options import (check_causal, check_j, check_linearizable, check_max_staleness,
                      check_read_concern, check_read_preference, check_retry_writes, check_w,
                      check_wtimeout, check_local_threshold)

__all__ = ["ReplicaSetDriver"]


class ReplicaSetDriver(Driver):
    """Driver of :class:`~caplab.kv.cp.ReplicaSet`."""

    PUT_OPTIONS = {"timeout_ms": None, "w": None, "wtimeout_ms": None, "retry_writes": None,
                   "j": None}
    GET_OPTIONS = {"timeout_ms": None, "read_preference": None, "read_concern": None,
                   "causal": None, "max_staleness_ms": None, "local_threshold_ms": None}

    def __init__(self, backend) -> None:
        super().__init__(backend)
        self.known_primary: dict[str, str] = {}   # client -> the primary it last learned of
        self.operation_time: dict[str, tuple] = {}  # client -> newest optime it has seen

    # -- options ---------------------------------------------------------------------------
    def complete_options(self, op: str, options: dict) -> dict:
        config = self.backend.config
        opts = dict(options)
        if op == "get":
            pref = opts.get("read_preference")
            pref = config["read_preference"] if pref is None else check_read_preference(pref)
            concern = opts.get("read_concern")
            concern = config["read_concern"] if concern is None else check_read_concern(concern)
            check_linearizable(pref, concern)
            opts["read_preference"], opts["read_concern"] = pref, concern
            opts["max_staleness_ms"] = check_max_staleness(opts.get("max_staleness_ms"), pref)
            threshold = opts.get("local_threshold_ms")
            opts["local_threshold_ms"] = (config["local_threshold_ms"] if threshold is None
                                          else check_local_threshold(threshold))
            causal = opts.get("causal")
            opts["causal"] = config["causal_consistency"] if causal is None else \
                check_causal(causal)
        else:
            w = opts.get("w")
            opts["w"] = config["write_concern"] if w is None else check_w(
                w, len(self.backend.data_bearing))
            wtimeout = opts.get("wtimeout_ms")
            opts["wtimeout_ms"] = (config["wtimeout_ms"] if wtimeout is None
                                   else check_wtimeout(wtimeout))
            j = opts.get("j")
            opts["j"] = False if j is None else check_j(j)
            retry = opts.get("retry_writes")
            opts["retry_writes"] = (config["retry_writes"] if retry is None
                                    else check_retry_writes(retry))
        return opts

    # -- sending ---------------------------------------------------------------------------
    def start(self, client, handle) -> None:
        handle.state.update(attempt=0, redirected=False, tried=[], answered=0, unanswered=set())
        if handle.operation.op == "get":
            pref = handle.options["read_preference"]
            if pref in ("secondary", "secondaryPreferred"):
                target = self._next_secondary(client, handle)
                if target is None and pref == "secondary":
                    client.finish(handle, "fail", error=(
                        f"no secondary to read from: max_staleness_ms="
                        f"{handle.options['max_staleness_ms']} excludes the others (hidden "
                        f"members and arbiters never serve reads) (definite: nothing was read)"))
                    return
                if target is None:      # secondaryPreferred: the primary, then
                    handle.state["wire_pref"] = "primary"
                    target = self.known_primary.get(client.name, client.near)
            elif pref == "nearest":
                target = self._nearest(client, handle)
            else:
                target = self.known_primary.get(client.name, client.near)
        else:
            target = self.known_primary.get(client.name, client.near)
        self._send(client, handle, target)

    def _send(self, client, handle, node: str) -> None:
        if handle.done:
            return
        state = handle.state
        state["attempt"] += 1
        state["node"] = node
        state["tried"].append(node)
        op = handle.operation
        opts = handle.options
        if op.op == "get":
            # ``wire_pref``: what this attempt asks for after a fallback (primaryPreferred reading
            # from a secondary, secondaryPreferred from the primary); the options stay as given.
            msg = ReadRequest(op.id, state["attempt"], op.key,
                              state.get("wire_pref") or opts["read_preference"],
                              opts["read_concern"],
                              self.operation_time.get(client.name) if opts["causal"] else None)
            if not state.get("read_retried"):
                config = self.backend.config
                wait_ms = config["election_timeout_ms"] + 2 * config["heartbeat_ms"]
                client.set_timer(wait_ms, self._no_answer,
                                 client, handle, state["attempt"])
        else:
            msg = WriteRequest(op.id, state["attempt"], op.key, op.value, opts["w"],
                               opts["wtimeout_ms"], opts["j"])
            state["unanswered"].add(state["attempt"])   # may be applied until told otherwise
            if opts["retry_writes"] and not state.get("write_retried"):
                client.set_timer(self._network_error_ms(), self._no_write_answer, client,
                                 handle, state["attempt"])
        client.send(node, msg)

    def _network_error_ms(self) -> int:
        """How long an attempt may go unanswered before the driver calls it a network error:
        time for a deposed primary to step down and a new one to be found."""
        config = self.backend.config
        return config["election_timeout_ms"] + 2 * config["heartbeat_ms"]

    def _retry_write(self, client, handle, silent: str, why: str) -> bool:
        """Retry a write once (retryable writes); False if it was already retried."""
        state = handle.state
        if handle.done or not handle.options["retry_writes"] or state.get("write_retried"):
            return False
        state["write_retried"] = True
        if self.known_primary.get(client.name) == silent:
            del self.known_primary[client.name]
        members = self.backend.member_names
        target = self.known_primary.get(client.name) or (
            client.near if client.near != silent
            else members[(members.index(silent) + 1) % len(members)])
        client.trace("client", f"#{handle.id} retryable write: {why}; retrying once at "
                               f"{target}", target, op_id=handle.id, action="retry_write")
        self._send(client, handle, target)
        return True

    def _no_write_answer(self, client, handle, attempt: int) -> None:
        if handle.done or handle.state["attempt"] != attempt:
            return
        self._retry_write(client, handle, handle.state["node"],
                          f"no answer from {handle.state['node']} (network error)")

    def _no_answer(self, client, handle, attempt: int) -> None:
        """A read got no answer: forget that member as primary and retry once elsewhere."""
        state = handle.state
        if handle.done or state["attempt"] != attempt or state.get("read_retried"):
            return
        state["read_retried"] = True
        silent = state["node"]
        if self.known_primary.get(client.name) == silent:
            del self.known_primary[client.name]
        pref = handle.options["read_preference"]
        if pref in ("secondary", "secondaryPreferred"):
            target = self._next_secondary(client, handle)
        else:
            members = self.backend.member_names
            target = client.near if client.near != silent else \
                members[(members.index(silent) + 1) % len(members)]
            if pref == "primaryPreferred":
                # MongoDB: the primary is unavailable, so read from a secondary.
                state["wire_pref"] = "secondaryPreferred"
        if target is not None:
            self._send(client, handle, target)

    def _prefer_secondary(self, client, handle, src: str, *, src_is_primary: bool = False
                          ) -> bool:
        """primaryPreferred with no primary to be had: read from a secondary instead (MongoDB:
        "if the primary is unavailable, operations read from secondary members"): the member
        that just answered, unless it is itself a primary not yet accepting reads (then the
        near node or the next member). True if the read went out again."""
        if handle.operation.op != "get" or handle.options["read_preference"] != \
                "primaryPreferred" or handle.state.get("wire_pref"):
            return False
        state = handle.state
        state["wire_pref"] = "secondaryPreferred"
        state["tried"] = [src] if src_is_primary else []
        target = self._next_secondary(client, handle) if src_is_primary else src
        self._send(client, handle, target if target is not None else src)
        return True

    def _next_secondary(self, client, handle) -> str | None:
        """The near node, then the other members in order; never the known primary, an arbiter
        or a hidden member (MongoDB: read preferences never select them)."""
        members = self.backend.member_names
        visible = self._selectable(handle)
        start = members.index(client.near)
        primary = self.known_primary.get(client.name)
        tried = handle.state["tried"]
        for i in range(len(members)):
            node = members[(start + i) % len(members)]
            if node != primary and node not in tried and node in visible:
                return node
        return None

    def _selectable(self, handle) -> list[str]:
        """The members a read may go to: visible, and within ``max_staleness_ms`` if given
        (MongoDB: a secondary whose estimated staleness exceeds maxStalenessSeconds is not
        selected)."""
        visible = self.backend.visible
        limit = handle.options.get("max_staleness_ms")
        if limit is None:
            return visible
        staleness = self.backend.staleness_ms()
        return [n for n in visible if staleness.get(n, limit + 1) <= limit]

    def _nearest(self, client, handle) -> str:
        """``nearest``: with ``local_threshold_ms`` (MongoDB's ``localThresholdMS``), a random
        member among those whose round trip (the network's mean latency both ways) is within
        the threshold of the smallest; without it, the near node if a client may read from it,
        else the next visible member (the primary included)."""
        members, visible = self.backend.member_names, self._selectable(handle)
        visible = visible or self.backend.visible   # the primary is never stale
        threshold = handle.options.get("local_threshold_ms")
        if threshold is not None:
            net = client.network
            rtt = {m: net.latency_for(client.name, m).mean_ms
                   + net.latency_for(m, client.name).mean_ms for m in visible}
            fastest = min(rtt.values())
            window = [m for m in visible if rtt[m] <= fastest + threshold]
            return client.rng("nearest").choice(window)
        start = members.index(client.near)
        return next(members[(start + i) % len(members)] for i in range(len(members))
                    if members[(start + i) % len(members)] in visible)

    # -- replies ---------------------------------------------------------------------------
    def receive(self, client, msg, src: str) -> None:
        handle = client.pending.get(msg.op_id)
        if handle is None:
            return  # the operation has ended
        state = handle.state
        status = msg.status
        if status != "ok":
            if isinstance(msg, WriteReply) and status == "not_primary":
                state["unanswered"].discard(msg.attempt)   # that attempt was not applied
            if msg.attempt != state["attempt"] or state["answered"] == msg.attempt:
                return  # a late or duplicated answer: the attempt in progress decides
            state["answered"] = msg.attempt
        if status == "ok":
            if isinstance(msg, WriteReply) or handle.options.get("read_preference") == "primary":
                self.known_primary[client.name] = src
            # The session's operationTime: the newest optime this client has seen (its write's,
            # or the snapshot its read saw); a causal read asks for afterClusterTime >= it.
            seen = msg.optime if isinstance(msg, WriteReply) else msg.snapshot
            if seen is not None and tuple(seen) > self.operation_time.get(client.name, (0, 0)):
                self.operation_time[client.name] = tuple(seen)
            client.finish(handle, "ok", value=msg.value if isinstance(msg, ReadReply) else None,
                          node=src)
        elif status == "not_primary":
            self._not_primary(client, handle, msg, src)
        elif status == "not_secondary":
            self.known_primary[client.name] = src
            target = self._next_secondary(client, handle)
            if target is None and (handle.options["read_preference"] == "secondaryPreferred"
                                   or handle.state.get("wire_pref") == "secondaryPreferred"):
                target = src   # MongoDB: secondaryPreferred falls back to the primary
                handle.state["wire_pref"] = "primary"
            if target is None:
                client.finish(handle, "fail", node=src,
                              error="no secondary available for read_preference='secondary' "
                                    "(definite: nothing was read)")
            else:
                self._send(client, handle, target)
        elif status in ("wtimeout", "stepped_down"):
            if status == "stepped_down":
                self.known_primary.pop(client.name, None)
                # MongoDB: InterruptedDueToReplStateChange is a retryable write error.
                if self._retry_write(client, handle, src, f"{src} stepped down"):
                    return
            client.finish(handle, "info", node=src, error=msg.error)
        else:   # "failed": a read that could not be served; it changed nothing
            self.known_primary.pop(client.name, None)
            client.finish(handle, "fail", node=src, error=msg.error)

    def _not_primary(self, client, handle, msg, src: str) -> None:
        if self.known_primary.get(client.name) == src:
            del self.known_primary[client.name]
        hint = msg.primary
        state = handle.state
        if hint is not None and hint != src:
            self.known_primary[client.name] = hint
            if not state["redirected"]:
                state["redirected"] = True      # retry once at the primary we learned of
                self._send(client, handle, hint)
                return
            if self._prefer_secondary(client, handle, src):
                return
            self._fail(client, handle, src, msg.error)
            return
        # No member knows a primary (an election is on), or the primary does not accept
        # operations yet (catch-up, step-down): primaryPreferred reads from a secondary;
        # anything else waits and asks again (server selection).
        if self._prefer_secondary(client, handle, src, src_is_primary=hint == src):
            return
        backoff = self.backend.config["retry_backoff_ms"]
        deadline = handle.timer.time_ms if handle.timer is not None else None
        if deadline is not None and client.now + backoff >= deadline:
            self._fail(client, handle, src, f"no primary found before the operation timeout "
                                            f"(server selection; last answer: {msg.error})")
            return
        client.set_timer(backoff, self._retry, client, handle, src, state["attempt"])

    def _retry(self, client, handle, node: str, attempt: int) -> None:
        """Back-off over: ask again, unless another attempt has started meanwhile."""
        if handle.state["attempt"] == attempt:
            self._send(client, handle, node)

    def _fail(self, client, handle, node: str, error: str) -> None:
        """End ``handle``: a definite failure only if no attempt can have been applied."""
        if handle.operation.op != "get" and handle.state["unanswered"]:
            attempts = sorted(handle.state["unanswered"])
            client.finish(handle, "info", node=node,
                          error=f"{error.replace(' (definite: not applied)', '')}; but "
                                f"attempt{'s' if len(attempts) > 1 else ''} "
                                f"{', '.join(map(str, attempts))} got no answer and may have "
                                f"been applied (indefinite)")
            return
        client.finish(handle, "fail", node=node, error=error)

    def on_finish(self, client, handle) -> None:
        result = handle.result
        if result.outcome == "info" and (result.error or "").startswith("timeout"):
            # A network timeout: the driver marks the server Unknown and rediscovers.
            self.known_primary.pop(client.name, None)
