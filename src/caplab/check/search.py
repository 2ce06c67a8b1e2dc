"""The search of :func:`caplab.check.check_linearizability` for one key: Wing & Gong's
algorithm with Lowe's memoisation, as Porcupine implements it (``checker.go``), over arrays.

The history is a doubly linked list of call and return entries in time order; the search
*lifts* a call (and its return) out of the list when the model accepts it as the next
operation, and *unlifts* it when backtracking; a set of (linearized ops, model state) pairs
already explored prunes it.
"""

from __future__ import annotations

__all__ = ["search", "LINEARIZABLE", "NOT_LINEARIZABLE", "UNKNOWN_VERDICT"]

LINEARIZABLE = "linearizable"
NOT_LINEARIZABLE = "not linearizable"
UNKNOWN_VERDICT = "unknown"

_INF = float("inf")
_FAIL = object()  # memoised "the model rejects this step"
_MISS = object()
_CHUNK = 20_000  # steps a key runs before the next key's turn


def search(inps, outs, invokes, returns, step, init_state, max_steps, readonly):
    """Porcupine's ``checkSingle`` over arrays (no per-entry objects, ints as bitsets).

    A generator: it yields its step count every ``_CHUNK`` steps so that the caller can run
    the keys round-robin (Porcupine checks partitions in parallel and stops at the first
    violation; round-robin does the same deterministically). It returns
    ``(verdict, order_or_prefix, state_after_prefix, stuck_return_op, steps)``.

    The set of linearized ops is kept small, so a step costs about the same at the end of a
    long history as at its start (Porcupine keeps one bitset of every op, so a step and each
    cache entry grow with the history): ops with a return (``ok``/``fail``) are numbered by
    invocation, and the set is ``(low, window)``: every op numbered below ``low`` is
    linearized, and bit ``k`` of ``window`` says whether op ``low + k`` is. An op must be
    linearized by its return, so ``window`` spans only the ops concurrent with the oldest
    pending one. Ops without a return (``info``) may never be linearized, so they get a
    bitset of their own (``opened``). The stack is a linked list, so the deepest partial
    linearization is remembered by reference, not copied at each new depth.
    """
    n = len(inps)
    # Entries: 2*i is the call of op i, 2*i+1 its return. Sort by time; a call sorts before a
    # return at the same instant, so operations that touch at one millisecond are concurrent
    # (the conservative reading of coarse clocks).
    order = sorted(range(2 * n), key=lambda e: (
        invokes[e >> 1] if not e & 1 else returns[e >> 1], e & 1, e >> 1))
    head = 2 * n
    nxt = [-1] * (2 * n + 1)
    prv = [-1] * (2 * n + 1)
    last = head
    for e in order:
        nxt[last] = e
        prv[e] = last
        last = e
    rank, open_bit = _numbering(invokes, returns)
    dom = _dominators(inps, outs, invokes, returns, rank, open_bit)
    memo = [{} for _ in range(n)]  # per op: state -> new state (or _FAIL); models are pure
    cache = set()
    # The stack: linked nodes (call entry, state before it, whether it left the state
    # unchanged, low, window and opened before it, the node below).
    top, depth = None, 0
    state = init_state
    low, window, opened = 0, 0, 0
    steps = 0
    best_depth, best = -1, None
    pause_at = min(_CHUNK, max_steps)
    e = nxt[head]
    while e != -1:
        if not e & 1:  # a call entry: try to linearize op e>>1 next
            steps += 1
            i = e >> 1
            need = dom[i]
            if need is not None:
                blocked = need[1] & ~opened
                if not blocked:
                    for r in need[0]:
                        if r >= low and not window >> (r - low) & 1:
                            blocked = 1
                            break
                if blocked:
                    e = nxt[e]
                    continue
            table = memo[i]
            ns = table.get(state, _MISS)
            if ns is _MISS:
                ok, ns = step(state, inps[i], outs[i])
                if not ok:
                    ns = _FAIL
                table[state] = ns
            if ns is not _FAIL:
                r = rank[i]
                if r < 0:
                    nlow, nwin, nopen = low, window, opened | open_bit[i]
                else:
                    nlow, nwin, nopen = low, window | (1 << (r - low)), opened
                    if r == low:  # drop the run of linearized ops now at the bottom
                        t = (~nwin & (nwin + 1)).bit_length() - 1
                        nlow, nwin = low + t, nwin >> t
                key = (nlow, nwin, nopen, ns)
                if key not in cache:
                    cache.add(key)
                    # A read-only op (it changes no state, whatever the state) accepted now
                    # can be moved to now in any linearization from here, so alternatives to
                    # it need not be tried: on backtrack, keep backtracking. (Lowe 2017 uses
                    # the same observation to linearize reads greedily.)
                    top = (e, state, readonly[i], low, window, opened, top)
                    depth += 1
                    state, low, window, opened = ns, nlow, nwin, nopen
                    # lift: unlink the call and its return
                    p, q = prv[e], nxt[e]
                    nxt[p] = q
                    prv[q] = p  # q != -1: a call is always followed by its own return
                    r = e + 1
                    p, q = prv[r], nxt[r]
                    nxt[p] = q
                    if q != -1:
                        prv[q] = p
                    e = nxt[head]
                    continue
            e = nxt[e]
        else:  # a return entry: op e>>1 had to be linearized before now; backtrack
            if depth > best_depth:
                best_depth, best = depth, (top, state, e >> 1)
            if top is None:
                return NOT_LINEARIZABLE, _ops_of(best[0]), best[1], best[2], steps
            if steps >= pause_at:
                if steps >= max_steps:
                    return UNKNOWN_VERDICT, _ops_of(best[0]), best[1], best[2], steps
                yield steps
                pause_at = min(steps + _CHUNK, max_steps)
            steps += 1
            e, state, forced, low, window, opened, top = top
            depth -= 1
            # unlift: relink the return, then the call (reverse order of lifting)
            r = e + 1
            p, q = prv[r], nxt[r]
            nxt[p] = r
            if q != -1:
                prv[q] = r
            p, q = prv[e], nxt[e]
            nxt[p] = e
            prv[q] = e
            e = r if forced else q  # r: its own return entry, so backtracking goes on
    return LINEARIZABLE, _ops_of(top), state, None, steps


def _ops_of(node) -> tuple:
    """The op indices on a linked stack, bottom first."""
    out = []
    while node is not None:
        out.append(node[0] >> 1)
        node = node[6]
    return tuple(reversed(out))


def _numbering(invokes, returns):
    """Per op: its number among the ops with a return, in invocation order (-1 for an op
    without one), and its bit among the ops without a return (0 for the others)."""
    rank = [-1] * len(invokes)
    open_bit = [0] * len(invokes)
    closed = sorted((i for i in range(len(invokes)) if returns[i] != _INF),
                    key=lambda i: (invokes[i], i))
    for r, i in enumerate(closed):
        rank[i] = r
    for b, i in enumerate(i for i in range(len(invokes)) if returns[i] == _INF):
        open_bit[i] = 1 << b
    return rank, open_bit


#: How many earlier identical ops (by invocation) an op may wait for (see _dominators).
_DOMINATOR_REACH = 16


def _dominators(inps, outs, invokes, returns, rank, open_bit):
    """Per op, the identical ops that may be linearized before it without loss, or None.

    Symmetry reduction (ours, in the spirit of Lowe 2017's partial-order reductions): if ops
    ``j`` and ``i`` have the same input and output and ``j``'s interval starts no later and ends
    no later than ``i``'s, then any linearization placing ``i`` before ``j`` (or ``j`` never, for
    an ``info`` op) stays valid with the two swapped: ``j`` fits ``i``'s point and ``i`` fits
    ``j``'s. So the search only linearizes ``i`` once every such ``j`` is linearized. This
    matters for timed-out writes, which stay pending to the end (Jepsen etcd logs).

    Waiting for fewer of them is still sound (it only prunes less), so an op waits for those
    among the ``_DOMINATOR_REACH`` identical ops invoked just before it: a long run of
    identical reads then costs linear time to set up, not quadratic.

    Returns, per op, ``(their numbers among ops with a return, mask of their bits among ops
    without one)`` as :func:`_search` numbers them, or None when there are none.
    """
    classes: dict = {}
    for i, (inp, out) in enumerate(zip(inps, outs)):
        classes.setdefault((repr(inp), repr(out)), []).append(i)
    dom: list = [None] * len(inps)
    for members in classes.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda i: (invokes[i], returns[i], i))
        for a, i in enumerate(members):
            closed, opened = [], 0
            for j in members[max(0, a - _DOMINATOR_REACH):a]:
                if returns[j] <= returns[i]:  # invokes[j] <= invokes[i] by the sort
                    if rank[j] >= 0:
                        closed.append(rank[j])
                    else:
                        opened |= open_bit[j]
            if closed or opened:
                dom[i] = (tuple(closed), opened)
    return dom
