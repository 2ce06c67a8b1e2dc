"""Scenarios the course notebooks run: each a function of a seed that builds a fresh cluster,
runs one experiment, and returns its facts (plain data) for the notebook to show and the tests to
assert. Notebooks hold no protocol logic; every claim they print comes from here.

Modules: ``cap`` (notebooks 01-02), ``cp`` (03), ``ap``, ``deletes`` and ``conflicts`` (04),
``eventual`` (05), ``checking`` (06), ``txn`` (07), ``bus`` (08), ``scaling`` (10). The notebooks' exercises are
graded by :mod:`caplab.labkit.course` (``nb01`` ... ``nb07``), which runs these scenarios;
nothing here imports the graders.
"""
