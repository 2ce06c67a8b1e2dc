"""Lab 2 (cart merge): merge a shopping cart's siblings so that no "add to cart" is ever lost.

The Dynamo paper's shopping cart: the store keeps concurrent versions as siblings (vector
clocks) and the application merges them on the next read. The student writes
``merge(siblings) -> cart`` (carts are sets of item names). The grader:

* checks the merge's algebra on seeded random siblings: commutative, associative, idempotent
  (so every replica and every client merges to the same cart, whatever the order);
* runs shoppers doing read-merge-add-write cycles on ``Cluster(mode="ap", conflict="siblings")``
  at consistency ONE under random partitions, heals, and checks that the final cart holds every
  item whose add was acknowledged.
"""

from __future__ import annotations

import random

from ...kv import Cluster
from ..exercise import Exercise
from ..replay import register_replay
from ..script_replay import Finding
from ._common import (SEEDS, Incorrect, LastFailure, random_partitions, require_function,
                      skeleton_is_not_attempted, source_of)

__all__ = ["q1", "run_cart_scenario", "as_cart", "replay"]

KEY = "cart"
#: the run the last failing check made: what ``replay(seed=N)`` redraws
_LAST = LastFailure("lab02")


def _reference_merge(siblings):
    """The union of the sibling carts: an item added on any side stays added."""
    merged = set()
    for cart in siblings:
        merged |= set(cart)
    return merged


def as_cart(value) -> frozenset:
    """A merge result as a frozenset of items (any iterable of item names is accepted)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise Incorrect(f"merge must return a cart (a set of item names), got {value!r}")
    return frozenset(value)


def _merge_stored(merge, value) -> frozenset:
    """A read's value: None (empty cart), one cart (a list), or siblings (a tuple of lists)."""
    if value is None:
        return frozenset()
    if isinstance(value, tuple):
        return as_cart(merge([frozenset(v) for v in value]))
    return frozenset(value)


def check_algebra(merge, seed: int, *, trials: int = 40) -> None:
    """Raise Incorrect unless ``merge`` is commutative, associative and idempotent on seeded
    random carts (without a seed: the message holds the carts, which is all a replay needs)."""
    rng = random.Random(f"lab02.algebra.{seed}")
    items = [f"item{i}" for i in range(8)]

    def cart():
        return frozenset(rng.sample(items, rng.randint(0, 5)))

    def m(*carts):
        return as_cart(merge([frozenset(c) for c in carts]))

    for _ in range(trials):
        a, b, c = cart(), cart(), cart()
        if m(a, b) != m(b, a):
            raise Incorrect(f"merge is not commutative: merge([{_show(a)}, {_show(b)}]) = "
                            f"{_show(m(a, b))} but merge([{_show(b)}, {_show(a)}]) = "
                            f"{_show(m(b, a))}; replicas that see siblings in another order "
                            f"would disagree (no run to replay: call merge on these carts)")
        if m(m(a, b), c) != m(a, m(b, c)):
            raise Incorrect(f"merge is not associative: merging {_show(a)}, {_show(b)}, "
                            f"{_show(c)} pairwise in two orders gives {_show(m(m(a, b), c))} "
                            f"and {_show(m(a, m(b, c)))} (no run to replay: call merge on these "
                            f"carts)")
        if m(a, a) != a:
            raise Incorrect(f"merge is not idempotent: merge([{_show(a)}, {_show(a)}]) = "
                            f"{_show(m(a, a))}; a sibling seen twice must not change the cart "
                            f"(no run to replay: call merge on this cart)")


def _show(cart) -> str:
    return "{" + ", ".join(sorted(cart)) + "}"


def run_cart_scenario(merge, seed: int, *, shoppers: int = 4, adds: int = 8,
                      duration_ms: int = 4000, on_start=None) -> dict:
    """Shoppers add unique items to one cart under random partitions; return the facts.
    ``on_start(cluster)`` is called once the cluster is built (the replay's hook).

    Returns:
        a dict: ``cluster``, ``acknowledged`` (items whose put was ``ok``), ``attempted``,
        ``final`` (the merged final cart), ``lost`` (acknowledged items missing from it),
        ``invented`` (items in it nobody added), ``siblings_seen`` (reads that returned siblings).
    """
    c = Cluster(mode="ap", nodes=5, seed=seed, conflict="siblings", write_consistency="one",
                read_consistency="one", anti_entropy_ms=300)
    if on_start is not None:
        on_start(c)
    random_partitions(c, start_ms=50, duration_ms=duration_ms, stream="lab02.partitions",
                      gap_ms=(200, 700))
    rng = c.sim.rng("lab02.shoppers")
    acknowledged, attempted, siblings_seen = set(), set(), [0]
    clients = [c.client(f"shopper{i + 1}", near=c.nodes[i % 5]) for i in range(shoppers)]
    last = {client.name: frozenset() for client in clients}

    def cycle(client, n):
        if n >= adds:
            return
        handle = client.get_async(KEY)
        handle.on_done(lambda res: add(client, n, res))

    def add(client, n, res):
        if not res.ok:      # could not read the cart: try again later
            client.set_timer(rng.randint(20, 80), cycle, client, n)
            return
        if isinstance(res.value, tuple):
            siblings_seen[0] += 1
        # The shopper's session also remembers the cart it last wrote (a read at ONE may come
        # from a replica that has not seen it yet): one more sibling to merge.
        read = list(res.value) if isinstance(res.value, tuple) else [res.value or []]
        cart = as_cart(merge([frozenset(v) for v in read] + [last[client.name]]))
        item = f"{client.name}-item{n + 1}"
        attempted.add(item)
        written = cart | {item}
        put = client.put_async(KEY, sorted(written))   # the driver sends the read's context

        def done(r):
            if r.ok:
                acknowledged.add(item)
                last[client.name] = written
            client.set_timer(rng.randint(20, 200), cycle, client, n + 1)
        put.on_done(done)

    for client in clients:
        client.set_timer(rng.randint(0, 50), cycle, client, 0)
    c.run(until=50 + duration_ms)
    c.sim.run_until(lambda: all(not cl.pending for cl in clients), timeout_ms=5000)
    c.run_for(2500)   # healed: anti-entropy and read repair spread every sibling
    final = _merge_stored(merge, c.client("checker", near="n1").get(KEY, consistency="all").value)
    return {"cluster": c, "acknowledged": acknowledged, "attempted": attempted, "final": final,
            "lost": sorted(acknowledged - final), "invented": sorted(final - attempted),
            "siblings_seen": siblings_seen[0]}


def _finding(facts) -> Finding | None:
    """The lost add (its acknowledged put and the final read), or an invented item."""
    c = facts["cluster"]
    final_read = [o for o in c.history if o.client == "checker"]
    if facts["lost"]:
        item = facts["lost"][0]
        puts = [o for o in c.history if o.op == "put" and o.outcome == "ok"
                and item in (o.value or ())]
        return Finding("lost add", f"{item} was acknowledged, then missing from the final cart",
                       time_ms=puts[0].invoke_ms if puts else None, key=KEY,
                       bad_ops=tuple(o.id for o in puts[:1] + final_read))
    if facts["invented"]:
        return Finding("invented item", f"{facts['invented'][0]} is in the final cart, nobody "
                       f"added it", key=KEY, bad_ops=tuple(o.id for o in final_read))
    return None


def _grade(merge) -> str:
    _LAST.reset()
    require_function(merge, "a function merge(siblings) -> cart", 1)
    for seed in SEEDS:
        check_algebra(merge, seed)
    siblings = acked = 0
    for seed in SEEDS[:5]:
        facts = run_cart_scenario(merge, seed)
        if facts["lost"]:
            lost = facts["lost"]
            raise _LAST.incorrect(f"{len(lost)} acknowledged add(s) lost from the final "
                                  f"cart, e.g. {', '.join(lost[:3])}: the shopper was told the "
                                  f"item was added, but after the partitions healed and the "
                                  f"siblings were merged it is gone", seed, run_cart_scenario,
                                  merge, finding=_finding, question="q1")
        if facts["invented"]:
            raise _LAST.incorrect(f"the final cart holds items nobody added: "
                                  f"{', '.join(facts['invented'][:3])}", seed,
                                  run_cart_scenario, merge, finding=_finding, question="q1")
        siblings += facts["siblings_seen"]
        acked += len(facts["acknowledged"])
    return (f"commutative, associative and idempotent on random carts; under random "
            f"partitions {siblings} reads returned siblings and all {acked} acknowledged adds "
            f"survived the merge.")


q1 = Exercise(
    "Lab 2, question 1: merge the cart's siblings",
    answer_name="merge",
    grader=skeleton_is_not_attempted(_grade),
    hint=("Each sibling is what one side of a partition saw after its own adds. Which items "
          "should the merged cart keep so that an add made on either side survives?",
          "The merge must not care about the order of the siblings or about seeing one twice "
          "(commutative, associative, idempotent), and must keep every item of every sibling.",
          "One set operation does all of that: combine every sibling cart with it, starting "
          "from an empty set."),
    solution=source_of(_reference_merge, name="merge"),
    reference=_reference_merge,
)


# -- replay ---------------------------------------------------------------------------------------
def replay(seed: int, merge=None):
    """Run the last failing cart scenario again with ``seed`` (and ``merge``, default the one
    that failed) and draw it: the timeline with the lost add's put and the final read
    highlighted, the message sequence, the cluster graph, and a step-through of every event
    (``.steps.state()`` shows each replica's siblings).

    Raises:
        ConfigError: no check has failed in a simulated run yet.

    Example:
        >>> rp = lab02.replay(seed=1); rp.figures()["timeline"]     # doctest: +SKIP
    """
    return _LAST.replay(seed, merge)


register_replay(q1.name, lambda seed: replay(seed))
