"""The graders of the course notebooks' exercises: one module per notebook (``nb01`` ...
``nb06``), each exposing ``exercise`` with ``check()``, ``hint()`` and ``solution()``.

A grader runs the notebook's own scenario (from :mod:`caplab.course`) and judges the answer
against its facts, so the scenarios know nothing of grading: ``caplab.course`` never imports
``caplab.labkit``; the exercises sit above it (as ``caplab.labkit.labs`` sits above the store).

Example (in ``notebooks/04-ap-in-depth.ipynb``)::

    from caplab.labkit.course import nb04
    levels = ("one", "all")
    nb04.exercise.check(levels)
"""

__all__ = ["nb01", "nb02", "nb03", "nb04", "nb05", "nb06", "nb07", "nb09"]
