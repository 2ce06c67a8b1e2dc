"""Checkers for transactions across services: atomicity at quiescence, the business
invariants, blocked time and lock statistics.

Each checker returns a :class:`CheckResult` (the shape every caplab checker shares) whose
``reasons`` name the transaction, the services and the event that caused each violation. They
read the services' durable logs (what really happened in each database), not what the
coordinator or orchestrator believes.

* 2PC atomicity: every participant committed, or none did (a mix is a violation; a
  participant still prepared beside decided ones is *in doubt*: verdict unknown).
* Saga atomicity (Garcia-Molina & Salem): all steps done, or every completed step compensated
  (in reverse order), or a ``CompensationFailed`` published for each one left; no step ran
  twice; no step ran after an earlier one failed for good.
* Invariants: stock never negative and conserved, money conserved, no seat, room or car sold
  twice; for sagas also over time: a scheduled shipment belongs to an active, stocked order.
"""

from __future__ import annotations

from ..history.result import CheckResult as SharedCheckResult

__all__ = ["CheckResult", "check_atomicity", "check_invariants", "lock_statistics",
           "blocked_times"]


class CheckResult(SharedCheckResult):
    """The shape every caplab checker returns (:class:`caplab.history.result.CheckResult`),
    with ``offending`` holding the ids of the transactions or sagas at fault (not history
    operations) and one reason per finding.

    Attributes:
        checker: the checker's name.
        valid: True (holds), False (violated) or None (unknown: not settled yet).
        offending: ids of the transactions or sagas at fault.
        reasons: one sentence per finding.
        details: numbers and per-item data for views.
    """

    def __init__(self, checker: str, valid, offending=(), reasons=(), details=None) -> None:
        super().__init__(checker=checker, valid=valid, offending=tuple(offending),
                         reasons=tuple(reasons), details=dict(details or {}))

    def explain(self) -> str:
        """A few lines for a student: the verdict, then each reason."""
        verdict = {True: "holds", False: "VIOLATED", None: "unknown"}[self.valid]
        lines = [f"{self.checker}: {verdict}"]
        lines += [f"  - {r}" for r in self.reasons]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"CheckResult({self.checker!r}, valid={self.valid}, "
                f"offending={self.offending!r}, reasons={len(self.reasons)})")


def _verdict(violations, unknown) -> bool | None:
    if violations:
        return False
    return None if unknown else True


def _by_txid(services) -> dict:
    """txid -> service -> (kind, time_ms) of the last log entry about it."""
    out: dict = {}
    for name, svc in services.items():
        for time_ms, _, kind, txid, _ in svc.store.log:
            out.setdefault(txid, {})[name] = (kind, time_ms)
    return out


# -- two-phase commit ------------------------------------------------------------------------
def _check_2pc(system) -> CheckResult:
    states = system.participant_states()
    last = _by_txid(system.services)
    committed_by_tm = system.coordinator.decisions
    reasons, offending, unknown = [], [], []
    for txid, row in states.items():
        done = {s: st for s, st in row.items() if st != "unknown"}
        committed = sorted(s for s, st in done.items() if st == "committed")
        aborted = sorted(s for s, st in done.items() if st == "aborted")
        prepared = sorted(s for s, st in done.items() if st == "prepared")
        events = last.get(txid, {})
        where = "; ".join(f"{s} {events[s][0]} at {events[s][1]} ms" for s in sorted(events))
        if committed and aborted:
            offending.append(txid)
            reasons.append(f"{txid} not atomic: committed at {', '.join(committed)}, aborted "
                           f"at {', '.join(aborted)} ({where})")
        elif committed and txid not in committed_by_tm:
            offending.append(txid)
            reasons.append(f"{txid} committed at {', '.join(committed)} but the coordinator "
                           f"never decided commit ({where})")
        elif prepared and (committed or aborted):
            unknown.append(txid)
            reasons.append(f"{txid} in doubt: prepared at {', '.join(prepared)}, "
                           f"{'committed' if committed else 'aborted'} at "
                           f"{', '.join(committed or aborted)}: not settled yet")
        elif committed and len(committed) < len(row):
            offending.append(txid)
            missing = sorted(set(row) - set(committed))
            reasons.append(f"{txid} committed at {', '.join(committed)} but never reached "
                           f"{', '.join(missing)}")
    blocked = {t: sorted(s for s, st in r.items() if st == "prepared") for t, r in states.items()
               if any(st == "prepared" for st in r.values())}
    return CheckResult("2pc atomicity", _verdict(offending, unknown), offending + unknown,
                       reasons, {"transactions": len(states), "blocked": blocked})


# -- sagas -----------------------------------------------------------------------------------
def _saga_effects(system) -> dict:
    """saga -> key -> [(seq, time_ms, service, kind)] of every commit and refusal."""
    sagas = system.records
    effects: dict = {}
    for name, svc in system.services.items():
        for time_ms, seq, kind, txid, _ in svc.store.log:
            parts = txid.split(".")
            for j in range(1, len(parts)):
                saga = ".".join(parts[:j])
                if saga in sagas:
                    effects.setdefault(saga, {}).setdefault(txid, []).append(
                        (seq, time_ms, name, kind))
                    break
    return effects


def _index_of(key: str, saga: str):
    rest = key[len(saga) + 1:]
    head = rest.split(".")[0].split(":")[0]
    return int(head) if head.isdigit() else None


def _saga_findings(rec, mine, dead) -> tuple[list, bool]:
    """The violations of one saga (``mine``: its keys' log entries), and whether it runs."""
    done, comps, fails = {}, {}, []
    found = []
    for key, entries in sorted(mine.items()):
        index = _index_of(key, rec.saga)
        if index is None or index >= len(rec.steps):
            continue                         # not a step (the order's final approval)
        commits = [e for e in entries if e[3] == "commit"]
        if len(commits) > 1:
            found.append(f"{rec.saga} step {index} ran {len(commits)} times at "
                         f"{commits[0][2]} (key {key}): not idempotent")
        if key.endswith(":c"):
            if commits and key[:-2] in mine:
                comps[index] = commits[0]
        elif commits:
            done[index] = commits[0]
        else:
            fails += [(e[0], index, e[2]) for e in entries if e[3] == "rollback"]
    real_comps = {i: c for i, c in comps.items() if i in done}
    names = {i: s.name for i, s in enumerate(rec.steps)}
    for seq, index, service in sorted(fails):
        if index in done and done[index][0] > seq:
            continue                         # recovered: an alternative or a retry succeeded
        later = sorted(i for i, c in done.items() if i > index and c[0] > seq)
        if later:
            found.append(f"{rec.saga}: step {later[0]} ({names[later[0]]}) ran after step "
                         f"{index} ({names[index]}) failed at {service}")
        break
    order = [i for i, _ in sorted(real_comps.items(), key=lambda kv: kv[1][0])]
    expected = sorted(order, key=lambda i: done[i][0], reverse=True)
    if order != expected:
        found.append(f"{rec.saga}: compensations ran in the order {order}, not the reverse "
                     f"of the steps {expected}: it undid {names[order[0]]} first, at "
                     f"{real_comps[order[0]][2]}")
    if not rec.finished:
        return found, True
    all_done = len(done) == len(rec.steps) and not real_comps
    left = sorted(set(done) - set(real_comps))
    if not all_done and left:
        published = {e.index for e in dead.get(rec.saga, ())}
        pivot = rec.pivot
        for i in left:
            if i not in published and (pivot is None or i < pivot):
                found.append(f"{rec.saga} not atomic: step {i} ({names[i]} at "
                             f"{done[i][2]}) done and never compensated, and no "
                             f"CompensationFailed was published")
    return found, False


def _check_sagas(system) -> CheckResult:
    effects = _saga_effects(system)
    dead: dict = {}
    for event in system.dead_letters:
        dead.setdefault(event.saga, []).append(event)
    reasons, offending, running = [], [], []
    for saga, rec in sorted(system.records.items()):
        found, still = _saga_findings(rec, effects.get(saga, {}), dead)
        if found:
            offending.append(saga)
            reasons += found
        elif still:
            running.append(saga)
    if running:
        reasons.append(f"still running: {', '.join(running)}")
    return CheckResult("saga atomicity", _verdict(offending, running), offending, reasons,
                       {"sagas": len(system.records), "running": running,
                        "compensation_failed": [(e.saga, e.index, e.service)
                                                for e in system.dead_letters]})


def check_atomicity(system) -> CheckResult:
    """Atomicity at quiescence of a :class:`TwoPhaseCommit` or :class:`Sagas` system.

    Example:
        >>> from caplab.txn import TwoPhaseCommit
        >>> tpc = TwoPhaseCommit(seed=1)
        >>> _ = tpc.transaction(tpc.place_order("o1"))
        >>> check_atomicity(tpc).valid
        True
    """
    if hasattr(system, "coordinator"):
        return _check_2pc(system)
    return _check_sagas(system)


# -- business invariants ---------------------------------------------------------------------
def _final_invariants(domain, data, reasons, causes, offending) -> None:
    """Stock and money at the end; ``causes`` (from :func:`_replay`) names the first commit
    that broke each, when a logged commit did (a row changed by hand has no cause)."""
    initial = domain.initial

    def by(what):
        cause = causes.get(what)
        if cause is None:
            return ""
        offending.append(cause[0])
        return f" (first broken by {cause[0]} at {cause[1]}, {cause[2]} ms)"
    if "inventory" in data:
        inv = data["inventory"]
        for row, start in sorted(initial["inventory"].items()):
            item = row.split(":", 1)[1]
            now = inv.get(row, 0)
            reserved = sum(v or 0 for k, v in inv.items()
                           if k.startswith("reserved:") and k.endswith(f":{item}"))
            if now < 0:
                reasons.append(f"stock of {item} is negative ({now}) at inventory"
                               + by(f"negative:{item}"))
            if now + reserved != start:
                reasons.append(f"stock of {item} not conserved at inventory: {now} on the shelf"
                               f" + {reserved} reserved != {start}" + by(f"stock:{item}"))
    if "payment" in data:
        accounts = {k: v for k, v in data["payment"].items() if k.startswith("acct:")}
        total, start = sum(accounts.values()), sum(initial["payment"].values())
        if total != start:
            reasons.append(f"money not conserved at payment: accounts sum to {total}, "
                           f"started at {start}" + by("money"))
        for k, v in sorted(accounts.items()):
            if v < 0:
                reasons.append(f"{k} is negative ({v}) at payment" + by(f"negative:{k}"))


def _tally(totals, row, old, new) -> None:
    """Keep ``totals`` (item -> on the shelf + reserved; "money" -> sum of the accounts) up to
    date as ``row`` goes from ``old`` to ``new``: linear in the log, however long it is."""
    kind = row.split(":", 1)[0]
    if kind in ("stock", "reserved"):
        key = "held:" + row.rsplit(":", 1)[1]
    elif kind == "acct":
        key = "money"
    else:
        return
    totals[key] = totals.get(key, 0) + (new or 0) - (old or 0)


def _first_breaks(totals, writes, cause, start, causes) -> None:
    """Record the first commit after which stock or money is negative or not conserved."""
    for row, value in writes:
        kind = row.split(":", 1)[0]
        if kind in ("stock", "acct") and isinstance(value, int) and value < 0:
            causes.setdefault("negative:" + (row.split(":", 1)[1] if kind == "stock" else row),
                              cause)
        if kind in ("stock", "reserved"):
            item = row.rsplit(":", 1)[1]
            if item in start and totals.get("held:" + item, 0) != start[item]:
                causes.setdefault(f"stock:{item}", cause)
        if kind == "acct" and totals.get("money", 0) != start["money"]:
            causes.setdefault("money", cause)


def _replay(system, over_time: bool, reasons, offending) -> dict:
    """Apply every committed write in log order: double sales and, for sagas, shipments.
    Returns the first commit that broke stock or money (what -> (txid, service, time_ms))."""
    entries = []
    for name, svc in system.services.items():
        for time_ms, seq, kind, txid, writes in svc.store.log:
            if kind in ("commit", "commit_prepared") and writes:
                entries.append((seq, time_ms, name, txid, writes))
    state: dict = {}
    for rows in system.domain.initial.values():
        state.update(rows)      # row names differ between services (stock:, acct:, seat: ...)
    totals: dict = {}
    for row, value in state.items():
        _tally(totals, row, None, value)
    start = {k[5:]: v for k, v in totals.items() if k.startswith("held:")}
    start["money"] = totals.get("money", 0)
    causes: dict = {}
    sold: set = set()           # seats, rooms and cars some commit has given away
    reported: set = set()       # an order already found broken (report its first cause only)
    reserved: dict = {}         # order -> item -> quantity (an index, so the replay is linear)
    for seq, time_ms, service, txid, writes in sorted(entries):
        for row, value in writes:
            if row.startswith("reserved:"):
                _, order, item = row.split(":", 2)
                reserved.setdefault(order, {})[item] = value
            kind = row.split(":", 1)[0]
            if kind in ("seat", "room", "car") and value is not None:
                holder = state.get(row) if row in sold else None
                sold.add(row)
                if holder is not None and holder != value:
                    offending.append(txid)
                    reasons.append(f"{row} sold twice: to {holder}, then to {value} by {txid} "
                                   f"at {service} ({time_ms} ms)")
            _tally(totals, row, state.get(row), value)
            state[row] = value
        _first_breaks(totals, writes, (txid, service, time_ms), start, causes)
        if over_time:
            _shipment_rule(state, reserved, writes, (txid, service, time_ms), reasons,
                           offending, reported)
    return causes


def _shipment_rule(state, reserved, writes, cause, reasons, offending, reported) -> None:
    txid, service, time_ms = cause
    orders = {row.split(":")[1] for row, _ in writes
              if row.startswith(("order:", "shipment:", "reserved:"))}
    for order in sorted(orders):
        if state.get(f"shipment:{order}") != "scheduled" or order in reported:
            continue
        status = state.get(f"order:{order}")
        stocked = any(reserved.get(order, {}).values())
        if status not in ("active", "approved") or not stocked:
            reported.add(order)
            offending.append(txid)
            why = f"its order is {status}" if status not in ("active", "approved") \
                else "no stock is reserved for it"
            reasons.append(f"shipment of {order} scheduled while {why} (after {txid} at "
                           f"{service}, {time_ms} ms)")


def check_invariants(system, *, over_time: bool | None = None) -> CheckResult:
    """The business invariants of the system's domain, at the end (and over time for sagas).

    Args:
        over_time: also check "a scheduled shipment belongs to an active order with stock"
            after every commit (default: for sagas; 2PC commits at different services are
            atomic but not simultaneous, so it is checked at the end only).
    """
    if over_time is None:
        over_time = not hasattr(system, "coordinator")
    reasons: list = []
    offending: list = []
    causes = _replay(system, over_time, reasons, offending)
    _final_invariants(system.domain, system.data(), reasons, causes, offending)
    return CheckResult("business invariants", not reasons, sorted(set(offending)), reasons,
                       {"over_time": over_time})


# -- locks and blocking ----------------------------------------------------------------------
def blocked_times(system) -> list[dict]:
    """One dict per (transaction, participant): prepared_ms, decided_ms (None: still blocked)
    and blocked_ms (up to now when still blocked)."""
    out = []
    now = system.now
    for name, svc in system.services.items():
        prepared: dict = {}
        for time_ms, _, kind, txid, _ in svc.store.log:
            if kind == "prepare":
                prepared[txid] = time_ms
            elif kind in ("commit_prepared", "rollback_prepared") and txid in prepared:
                start = prepared.pop(txid)
                out.append({"txid": txid, "service": name, "prepared_ms": start,
                            "decided_ms": time_ms, "blocked_ms": time_ms - start})
        for txid, start in prepared.items():
            out.append({"txid": txid, "service": name, "prepared_ms": start,
                        "decided_ms": None, "blocked_ms": now - start})
    return sorted(out, key=lambda r: (r["prepared_ms"], r["txid"], r["service"]))


def _stats(values) -> dict:
    values = sorted(values)
    if not values:
        return {"count": 0, "mean_ms": 0.0, "max_ms": 0}
    return {"count": len(values), "mean_ms": sum(values) / len(values), "max_ms": values[-1]}


def lock_statistics(system) -> CheckResult:
    """Lock hold times, lock waits, the longest waiting queue and time blocked in doubt.

    ``valid`` is False when a transaction is still blocked (prepared, no decision), naming it.
    """
    per_service = {}
    for name, svc in system.services.items():
        store = svc.store
        per_service[name] = {
            "held": _stats([s.held_ms for s in store.spans]),
            "waited": _stats([granted - since for _, _, since, granted in store.waits]),
            "max_queue": max((n for _, n in store.queue_samples), default=0),
            "waiting_now": len(store.waiting)}
    blocked = blocked_times(system)
    still = [b for b in blocked if b["decided_ms"] is None]
    reasons = [f"{b['txid']} blocked at {b['service']} for {b['blocked_ms']} ms (prepared at "
               f"{b['prepared_ms']} ms, no decision yet), holding its locks" for b in still]
    return CheckResult("locks and blocking", not still, sorted({b["txid"] for b in still}),
                       reasons, {"services": per_service,
                                 "blocked": _stats([b["blocked_ms"] for b in blocked])})
