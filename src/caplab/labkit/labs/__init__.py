"""The graders of the labs in ``labs/``: one module per lab, exposing exercises ``q1``, ``q2``...

Each exercise's ``check(answer)`` runs the student's answer in the simulator under seeded
random faults (several seeds) and answers *Correct*, *Incorrect* (the reason and the failing seed
to replay) or *Not attempted* (the skeleton's placeholder ``...`` or ``None``).

Example (in ``labs/lab01-quorums/lab01-quorums.ipynb``)::

    from caplab.labkit.labs import lab01
    answer_q1 = {"N": 3, "R": 2, "W": 2}
    lab01.q1.check(answer_q1)
"""

__all__ = ["lab01", "lab02", "lab03", "lab04", "lab05", "lab06", "lab07", "lab08", "lab09", "lab10",
           "lab11", "lab12"]
