"""Analyses: models of a replicated system's behaviour computed from its parameters, not from a
run. They sit above the checkers (which judge one recorded history) and below the frames and
views that draw them; they may use numpy and pandas, which the simulator never imports.

Modules: ``staleness`` (PBS t-visibility: Bailis et al., VLDB 2012).

Example::

    from caplab.analyses.staleness import t_visibility, t_at_probability
    curve = t_visibility(3, 1, 1, latency="lnkd-disk", trials=20_000, seed=1)
"""

from . import staleness

__all__ = ["staleness"]
