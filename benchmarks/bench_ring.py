"""Benchmark the AP ring's consistent hashing against the ``uhashring`` library.

Measures, for caplab's :class:`caplab.kv.ap.HashRing` and ``uhashring.HashRing`` side by side:
lookup rate (keys/s; RF=1 owner and RF=3 preference list), the fraction of keys whose owner
changes when a node joins or leaves (optimum 1/(N+1) on join, 1/N on leave), and the max/mean
load over nodes for several vnode counts.

Run: ``.venv/bin/python benchmarks/bench_ring.py`` (about 20 s).
"""

from __future__ import annotations

import time

from uhashring import HashRing as UHashRing

from caplab.kv.ap.hashring import HashRing

N = 10
KEYS = [f"user:{i}" for i in range(20_000)]
VNODES = (1, 8, 32, 128, 256)


def names(n):
    return [f"n{i}" for i in range(1, n + 1)]


def ours(nodes, vnodes):
    return HashRing(list(nodes), vnodes)


def theirs(nodes, vnodes):
    return UHashRing(nodes=list(nodes), vnodes=vnodes)


def lookup_rate(fn, keys):
    start = time.perf_counter()
    for key in keys:
        fn(key)
    return len(keys) / (time.perf_counter() - start)


def owners(lookup, keys):
    return {key: lookup(key) for key in keys}


def moved_fraction(before, after):
    return sum(1 for k in before if before[k] != after[k]) / len(before)


def load_ratio(mapping, nodes):
    counts = {n: 0 for n in nodes}
    for node in mapping.values():
        counts[node] += 1
    mean = len(mapping) / len(nodes)
    return max(counts.values()) / mean


def bench_lookup():
    rows = []
    keys = KEYS[:10_000]
    ring = ours(names(N), 32)
    ring_u = theirs(names(N), 32)
    # fresh rings per measurement so caplab's memo of preference lists does not count
    rows.append(("lookup owner (RF=1), keys/s",
                 lookup_rate(lambda k: HashRing.walk(ring, k).__next__(), keys),
                 lookup_rate(ring_u.get_node, keys)))
    rows.append(("lookup preference list RF=3, keys/s",
                 lookup_rate(lambda k: list(_take(HashRing.walk(ring, k), 3)), keys),
                 lookup_rate(lambda k: list(_take(ring_u.range(k, 3, unique=True), 3)), keys)))
    return rows


def _take(it, n):
    for i, x in enumerate(it):
        if i == n:
            return
        yield x


def bench_moves(vnodes=128):
    rows = []
    keys = KEYS[:10_000]
    for label, make, look in (("caplab", ours, lambda r: lambda k: next(r.walk(k))),
                              ("uhashring", theirs, lambda r: r.get_node)):
        ring = make(names(N), vnodes)
        before = owners(look(ring), keys)
        if label == "caplab":
            ring.add(f"n{N + 1}")
        else:
            ring.add_node(f"n{N + 1}")
        join = moved_fraction(before, owners(look(ring), keys))
        ring2 = make(names(N), vnodes)
        if label == "caplab":
            ring2.remove("n1")
        else:
            ring2.remove_node("n1")
        leave = moved_fraction(before, owners(look(ring2), keys))
        rows.append((label, join, leave))
    return rows


def bench_load():
    rows = []
    for v in VNODES:
        ring, ring_u = ours(names(N), v), theirs(names(N), v)
        rows.append((v, load_ratio(owners(lambda k: next(ring.walk(k)), KEYS), names(N)),
                     load_ratio(owners(ring_u.get_node, KEYS), names(N))))
    return rows


def bench_simulation(ops=2000):
    """Wall time to simulate ``ops`` client operations on a 5-node ring at QUORUM."""
    from caplab.kv import Cluster
    from caplab.kv.workload import Workload
    c = Cluster(mode="ap", nodes=5, seed=1, trace=False, anti_entropy_ms=500)
    start = time.perf_counter()
    Workload(c, clients=8, keys=20).run(ops=ops)
    return ops / (time.perf_counter() - start)


def main():
    print(f"caplab ring vs uhashring: {N} nodes, {len(KEYS)} keys\n")
    print(f"{'measure':<40}{'caplab':>14}{'uhashring':>14}")
    for label, a, b in bench_lookup():
        print(f"{label:<40}{a:>14,.0f}{b:>14,.0f}")
    print(f"\nkeys whose owner changes (vnodes=128); optimum join 1/(N+1)={1 / (N + 1):.3f}, "
          f"leave 1/N={1 / N:.3f}")
    print(f"{'ring':<14}{'join':>10}{'leave':>10}")
    for label, join, leave in bench_moves():
        print(f"{label:<14}{join:>10.3f}{leave:>10.3f}")
    print("\nmax/mean load over nodes (1.00 is perfect balance)")
    print(f"{'vnodes':<10}{'caplab':>10}{'uhashring':>12}")
    for v, a, b in bench_load():
        print(f"{v:<10}{a:>10.2f}{b:>12.2f}")
    print(f"\nsimulated AP cluster (5 nodes, QUORUM, anti-entropy on): "
          f"{bench_simulation():,.0f} client ops per wall-clock second")


if __name__ == "__main__":
    main()
