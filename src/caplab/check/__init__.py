"""Checkers: take a history as data and say what went wrong, with the evidence.

Every checker accepts a :class:`caplab.history.History`, a list of record dicts or a pandas
DataFrame with the columns of :data:`caplab.history.COLUMNS`, and knows nothing of the protocol
that produced it. Every checker returns a :class:`CheckResult` (``checker``, ``valid``,
``offending``, ``reasons``, ``details``, ``explain()``, ``to_frame()``), so a view can draw any
of them. ``check_all(history)`` runs them all; ``summarize(history)`` tabulates the verdicts::

    >>> from caplab.check import summarize  # doctest: +SKIP
    >>> summarize(history)                  # doctest: +SKIP
"""

from .convergence import ConvergenceResult, check_convergence
from .linearizability import (DEFAULT_MAX_STEPS, LINEARIZABLE, NOT_LINEARIZABLE,
                              UNKNOWN_VERDICT, LinearizabilityResult, check_linearizability)
from .lost import LostWrite, LostWriteResult, check_lost_writes
from .records import normalize_history
from ..history.result import CheckResult
from .sessions import (MONOTONIC_READS, READ_YOUR_WRITES, SessionResult, SessionViolation,
                       check_sessions)
from .stale import StaleRead, StaleReadResult, check_stale_reads
from .summary import SUMMARY_COLUMNS, Summary, check_all, summarize

__all__ = [
    "summarize", "check_all", "Summary", "SUMMARY_COLUMNS", "normalize_history",
    "CheckResult",
    "check_linearizability", "LinearizabilityResult", "LINEARIZABLE", "NOT_LINEARIZABLE",
    "UNKNOWN_VERDICT", "DEFAULT_MAX_STEPS",
    "check_stale_reads", "StaleRead", "StaleReadResult",
    "check_lost_writes", "LostWrite", "LostWriteResult",
    "check_sessions", "SessionResult", "SessionViolation", "READ_YOUR_WRITES",
    "MONOTONIC_READS",
    "check_convergence", "ConvergenceResult",
]
