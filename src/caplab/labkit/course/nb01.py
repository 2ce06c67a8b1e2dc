"""Notebook 01 (start here): reason about majorities. Split a five-member replica set into
three groups so that no side can acknowledge a ``w: "majority"`` write; graded by running the
split in the simulator (MongoDB: a primary needs the votes of a majority of the voting members,
and a majority write needs a majority of them to apply it).

Example::

    from caplab.labkit.course import nb01
    no_side_writes = [["n1", "n2"], ["n3", "n4"], ["n5"]]
    nb01.exercise.check(no_side_writes)
"""

from __future__ import annotations

from ...errors import ConfigError
from ..exercise import Exercise, Incorrect, NotAttempted, not_valid

__all__ = ["exercise", "SEED", "MEMBERS", "GROUPS", "split_writes"]

#: The seed the grader's replica set runs with.
SEED = 1
#: Members of the replica set the grader splits (with five, a majority is three).
MEMBERS = 5
#: How many groups the answer must have.
GROUPS = 3
_NODES = [f"n{i}" for i in range(1, MEMBERS + 1)]


def split_writes(groups, seed: int = SEED) -> dict:
    """Split a fresh five-member replica set into ``groups``, wait out an election, and try a
    ``w: "majority"`` write from a client next to each group.

    Args:
        groups: lists of node names, every node in exactly one.
        seed: the replica set's seed.

    Returns:
        ``{group (tuple): (outcome, primary or None)}`` for each group.

    Raises:
        ConfigError: a name that is not a node, or a node in two groups.

    Example:
        >>> split_writes([["n1", "n2", "n3"], ["n4", "n5"]])[("n1", "n2", "n3")][0]  # doctest: +SKIP
        'ok'
    """
    from ...kv import Cluster
    from ...kv.probes import wait_for_primary
    c = Cluster(mode="cp", nodes=MEMBERS, seed=seed)
    wait_for_primary(c)
    c.partition(*[list(g) for g in groups])
    c.run_for(2500)           # past the election timeout (1000 ms + offset): every side settles
    out = {}
    for i, group in enumerate(groups):
        client = c.client(f"c{i + 1}", near=group[0])
        r = client.put("x", i, w="majority", timeout_ms=1500)
        leaders = [n for n, role in c.roles().items() if n in group and role == "primary"]
        out[tuple(group)] = (r.outcome, leaders[0] if leaders else None)
    return out


def _groups(answer) -> list[list[str]]:
    if not isinstance(answer, (list, tuple)) or not all(isinstance(g, (list, tuple)) and g
                                                        for g in answer):
        raise not_valid(answer, f"give a list of {GROUPS} lists of node names, e.g. "
                                f"[['n1'], ['n2'], ['n3', 'n4', 'n5']]")
    groups = [[str(n).strip().lower() for n in g] for g in answer]
    named = [n for g in groups for n in g]
    if sorted(named) != sorted(_NODES) or len(named) != len(set(named)):
        raise not_valid(answer, f"every member {', '.join(_NODES)} must be in exactly one group")
    if len(groups) != GROUPS:
        raise not_valid(answer, f"split the members into exactly {GROUPS} groups, not "
                                f"{len(groups)}")
    return groups


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted(f"replace ... with {GROUPS} groups of node names")
    groups = _groups(answer)
    try:
        results = split_writes(groups)
    except ConfigError as exc:
        raise not_valid(answer, str(exc)) from None
    for group, (outcome, primary) in results.items():
        if outcome == "ok":
            raise Incorrect(f"the side {list(group)} ({len(group)} of {MEMBERS} members, a "
                            f"majority) elected {primary} and acknowledged a w: 'majority' "
                            f"write", seed=SEED)
    sizes = sorted(len(g) for g in groups)
    return (f"no side acknowledged a write: groups of {sizes} members, none holding a majority "
            f"({MEMBERS // 2 + 1} of {MEMBERS}); the whole replica set is unavailable for writes")


#: Split five members into three groups so that no side acknowledges a majority write:
#: ``exercise.check(no_side_writes)``.
exercise = Exercise(
    "Notebook 01, question 1", answer_name="no_side_writes", grader=_grade,
    hint=("How many members does a w: 'majority' write need with five members?",
          "A side can elect a primary and acknowledge majority writes only if it holds 3 of the "
          "5 members. Make every group smaller than that.",
          "Three groups, none larger than two: sizes 2, 2 and 1."),
    solution='no_side_writes = [["n1", "n2"], ["n3", "n4"], ["n5"]]   # no side holds 3 of 5',
    reference=[["n1", "n2"], ["n3", "n4"], ["n5"]])
