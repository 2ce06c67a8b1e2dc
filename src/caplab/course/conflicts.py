"""Scenarios of notebook 04 about conflicts: last-write-wins losing a write under clock skew,
and Dynamo's shopping cart with vector-clock siblings (and the same story under LWW).

Example:
    >>> from caplab.course.conflicts import lww_under_skew
    >>> facts = lww_under_skew(seed=1)
    >>> facts.final_value == facts.early_value          # the later write lost
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..kv import Cluster

__all__ = ["LwwFacts", "lww_under_skew", "CartFacts", "shopping_cart", "cart_items",
           "merge_carts"]


# -- last-write-wins -----------------------------------------------------------------------
@dataclass(frozen=True)
class LwwFacts:
    """Two acknowledged writes, the second later in true time, and which one survived."""

    skew_ms: int
    early_value: Any
    late_value: Any
    early_at_ms: int
    late_at_ms: int
    late_acknowledged: bool
    final_value: Any
    losses: tuple           # c.lww_losses()
    cluster: Any = field(repr=False, compare=False)


def lww_under_skew(seed: int = 1, *, skew_ms: int = 1000, gap_ms: int = 100) -> LwwFacts:
    """``n1``'s clock runs ``skew_ms`` ahead. Alice writes ``x="early"`` through ``n1``;
    ``gap_ms`` later Bob writes ``x="late"`` through ``n2`` (accurate clock). Both writes are
    acknowledged at ALL, yet last-write-wins keeps the earlier one: its timestamp is larger."""
    c = Cluster(mode="ap", nodes=3, seed=seed)
    alice = c.client("alice", near="n1")
    bob = c.client("bob", near="n2")
    if skew_ms:
        c.skew_clock("n1", offset_ms=skew_ms)
    alice.put("x", "early", consistency="all")
    c.run_for(gap_ms)
    r2 = bob.put("x", "late", consistency="all")
    ops = c.history.ops
    final = bob.get("x", consistency="all").value
    return LwwFacts(skew_ms, "early", "late", ops[0].invoke_ms, ops[1].invoke_ms, r2.ok,
                    final, tuple(c.lww_losses()), c)


# -- the shopping cart (Dynamo section 4.4) ------------------------------------------------
def cart_items(value) -> list[str]:
    """A cart stored as ``"eggs,milk"`` -> ``["eggs", "milk"]`` (``None`` is empty)."""
    return [] if not value else sorted(value.split(","))


def merge_carts(siblings) -> str:
    """Dynamo's cart merge: the union of the siblings' items (an add is never lost)."""
    items = set()
    for value in siblings:
        items |= set(cart_items(value))
    return ",".join(sorted(items))


@dataclass(frozen=True)
class CartFacts:
    """Two concurrent cart updates under a partition, and what the merge made of them."""

    conflict: str
    initial: str
    alice_cart: str         # Alice (minority side) added an item
    bob_cart: str           # Bob (majority side) removed an item
    added: str
    removed: str
    read_after_heal: Any    # a tuple of siblings (siblings mode) or one value (lww)
    siblings: int
    merged: str | None      # merge_carts(siblings) written back (siblings mode)
    final: Any              # what a read at ALL returns at the end
    cluster: Any = field(repr=False, compare=False)


def shopping_cart(seed: int = 1, *, conflict: str = "siblings", add: str = "tea",
                  remove: str = "eggs") -> CartFacts:
    """Dynamo's shopping cart. The cart ``"eggs,milk"`` is written everywhere; a partition
    separates Alice (with ``n1``) from Bob (with ``n2``, ``n3``); each reads the cart and
    writes it back at ONE: Alice adds ``add``, Bob removes ``remove``. After the heal:

    * ``conflict="siblings"``: a read returns both versions (concurrent vector clocks); the
      application merges them by union and writes the merge back with the read's context, so
      the add survives and the removed item comes back.
    * ``conflict="lww"``: one version silently wins; one of the two updates is lost.
    """
    c = Cluster(mode="ap", nodes=3, seed=seed, conflict=conflict)
    alice = c.client("alice", near="n1")
    bob = c.client("bob", near="n3")
    initial = "eggs,milk"
    alice.put("cart", initial, consistency="all")
    c.partition(["n1", "alice"], ["n2", "n3", "bob"])
    c.run_for(600)
    a_items = cart_items(alice.get("cart", consistency="one").value) + [add]
    alice_cart = ",".join(sorted(set(a_items)))
    alice.put("cart", alice_cart, consistency="one")
    c.run_for(50)
    b_items = [i for i in cart_items(bob.get("cart", consistency="one").value) if i != remove]
    bob_cart = ",".join(b_items)
    bob.put("cart", bob_cart, consistency="one")
    c.heal()
    c.run_for(1000)
    read = alice.get("cart", consistency="all").value
    merged = None
    siblings = len(read) if isinstance(read, tuple) else 1
    if isinstance(read, tuple):
        merged = merge_carts(read)
        alice.put("cart", merged, consistency="all")   # with the read's context: supersedes both
        c.run_for(100)
    final = bob.get("cart", consistency="all").value
    return CartFacts(conflict, initial, alice_cart, bob_cart, add, remove, read, siblings,
                     merged, final, c)
