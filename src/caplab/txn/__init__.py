"""Transactions across services: two-phase commit and sagas, and exactly how each one breaks.

Services are endpoints on a :class:`~caplab.world.World`, each with its own transactional
database (:mod:`caplab.txn.store`). :class:`TwoPhaseCommit` runs distributed transactions
through a coordinator; :class:`Sagas` runs sagas through an orchestrator (the correct manager
or the faithful, buggy "seed manager"); :class:`Choreography` runs the same order saga by
events between the services; :mod:`caplab.txn.check` says what went wrong, and
:mod:`caplab.txn.measure` and :mod:`caplab.txn.isolation` measure what each costs.
"""

from .check import CheckResult, check_atomicity, check_invariants, lock_statistics
from .choreography import Choreography
from .saga import CompensationFailed, Step
from .saga_system import Sagas
from .twopc import PHASES
from .twopc_system import TwoPhaseCommit

__all__ = ["TwoPhaseCommit", "Sagas", "Choreography", "Step", "CompensationFailed", "PHASES",
           "CheckResult", "check_atomicity", "check_invariants", "lock_statistics"]
