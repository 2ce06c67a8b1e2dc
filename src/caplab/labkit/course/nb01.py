"""Notebook 01 (start here): name the primary the majority elected after the cut (seed 1).

Example::

    from caplab.labkit.course import nb01
    new_primary = "n2"
    nb01.exercise.check(new_primary)
"""

from __future__ import annotations

from ...course.cap import first_partition
from ..exercise import Exercise, Incorrect, NotAttempted, not_valid

__all__ = ["exercise", "SEED"]

#: The seed the notebook's experiment uses.
SEED = 1


def _grade(answer) -> str:
    if answer is Ellipsis:
        raise NotAttempted('replace ... with a node name, e.g. "n1"')
    facts = first_partition(seed=SEED)
    nodes = list(facts.cluster.nodes) if facts.cluster is not None else []
    if not isinstance(answer, str):
        raise not_valid(answer, f"give a node name as a string, one of "
                                f"{', '.join(map(repr, nodes))}")
    name = answer.strip().lower()
    if nodes and name not in nodes:
        raise not_valid(answer, f"the replica set's nodes are {', '.join(map(repr, nodes))}")
    if name == facts.first_primary:
        raise Incorrect(f"{name} was the primary before the cut; it is on the minority "
                        f"side and stepped down", seed=SEED)
    if name != facts.new_primary:
        raise Incorrect(f"{name!r} is not the node that became primary after the cut", seed=SEED)
    return (f"{name} won the election in term {facts.new_primary_term}, "
            f"{facts.election_after_cut_ms} ms after the cut")


#: Which node did the majority elect after the cut? ``exercise.check(new_primary)``. The
#: reference is what ``first_partition(seed=1).new_primary`` returns (a test keeps them equal;
#: written out so that importing this module runs no simulation).
exercise = Exercise("Notebook 01, question 1", answer_name="new_primary", grader=_grade,
                    hint="Look at picture 4, or at facts.new_primary.",
                    solution='new_primary = cap.first_partition(seed=1).new_primary   '
                             '# facts.new_primary: "n2" for seed 1',
                    reference="n2")
