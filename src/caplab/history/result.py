"""The one result type every checker returns: a verdict, the offending operations, a plain-text
reason per finding, and structured details, so that a view can draw any checker's result
without knowing which checker produced it.

Jepsen's checkers do the same with a map (``:valid?`` true / false / ``:unknown``, plus
checker-specific keys); Porcupine returns ``Ok`` / ``Illegal`` / ``Unknown`` and the data for
its visualiser. Here:

- ``checker``: the check's name (``"linearizability"``, ``"stale reads"``, ...), the same name
  as its row in :func:`caplab.check.summarize`.
- ``valid``: True (holds), False (violated) or None (unknown: a search budget ran out, or no
  data to judge by), as Jepsen's ``:valid?``.
- ``offending``: the ids of the operations the checker blames, in history order, no repeats.
- ``reasons``: plain text; when ``offending`` is not empty, ``reasons[i]`` explains
  ``offending[i]`` (findings about the same operation are joined by ``"; "``). A checker whose
  findings are not operations (convergence: keys) leaves ``offending`` empty and says why in
  ``reasons``.
- ``details``: structured data for programs (``steps`` of a search, counts, per-finding
  records); each checker documents its keys. Views read these, never the text.

Truth value: a result refuses ``bool()`` (TypeError), because "unknown" is neither: write
``result.ok`` (True only when valid), ``result.valid is False`` or ``result.verdict``. (NumPy
and pandas refuse ambiguous truth values for the same reason.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

__all__ = ["CheckResult"]


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """What a checker found (see the module docstring for each field).

    Example:
        >>> r = CheckResult(checker="demo", valid=False, offending=(3,),
        ...                 reasons=("op 3 read a value nobody wrote",))
        >>> r.verdict, r.reason_for(3)
        ('violated', 'op 3 read a value nobody wrote')
        >>> print(r.explain())
        demo: violated (1 operation(s)):
          - op 3 read a value nobody wrote
    """

    checker: str
    valid: bool | None
    offending: tuple = ()
    reasons: tuple = ()
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    #: The verdict word for ``valid`` True / False / None (a checker may use its own words).
    VERDICTS: ClassVar[dict] = {True: "ok", False: "violated", None: "unknown"}

    def __bool__(self):
        raise TypeError(f"the truth value of a {type(self).__name__} is ambiguous (its verdict "
                        f"may be unknown): use .ok, .valid or .verdict")

    @property
    def ok(self) -> bool:
        """True only when the property holds (``valid is True``; unknown is not ok)."""
        return self.valid is True

    @property
    def verdict(self) -> str:
        """The verdict in words (``"ok"`` / ``"violated"`` / ``"unknown"`` or the checker's)."""
        return self.VERDICTS[self.valid]

    @property
    def bad_ops(self) -> tuple:
        """Same as ``offending`` (the name Porcupine's and earlier caplab callers use)."""
        return self.offending

    @property
    def count(self) -> int:
        """How many things are blamed: ``details["count"]`` if the checker sets it (e.g.
        divergent keys), else the number of offending operations."""
        return int(self.details.get("count", len(self.offending)))

    def reason_for(self, op_id) -> str | None:
        """The reason ``op_id`` is blamed, or None if it is not."""
        try:
            return self.reasons[self.offending.index(op_id)]
        except (ValueError, IndexError):
            return None

    def reasons_by_op(self) -> dict:
        """``{op id: reason}`` for every offending operation."""
        return {op: (self.reasons[i] if i < len(self.reasons) else self.verdict)
                for i, op in enumerate(self.offending)}

    def explain(self) -> str:
        """Several lines for people: the verdict, then one line per finding."""
        if self.valid is True:
            return f"{self.checker}: {self.verdict}."
        head = f"{self.checker}: {self.verdict}"
        if self.offending:
            head += f" ({len(self.offending)} operation(s))"
        lines = [head + (":" if self.reasons else ".")]
        lines += [f"  - {reason}" for reason in self.reasons]
        return "\n".join(lines)

    def brief(self) -> str:
        """The explanation on one line, for a table row: the first line, then the findings
        separated by ``"; "``."""
        return one_line(self.explain())

    def to_frame(self):
        """The findings as a pandas DataFrame: one row per offending operation (``checker,
        id, reason``), or per reason when no operation is blamed. Checkers with richer
        records override this (their columns are documented there)."""
        import pandas as pd
        cols = ["checker", "id", "reason"]
        if self.offending:
            rows = [(self.checker, op, reason) for op, reason in self.reasons_by_op().items()]
        else:
            rows = [(self.checker, None, reason) for reason in self.reasons]
        return pd.DataFrame(rows, columns=cols)


def one_line(text: str) -> str:
    """An explanation on one line: its first line, then its indented ``  - ...`` lines (the
    findings, which the first line's closing colon announces); later sentences are left out."""
    lines = text.splitlines()
    if not lines:
        return ""
    found = [line.strip()[2:] for line in lines[1:] if line.startswith("  - ")]
    return lines[0] + (" " + "; ".join(found) + "." if found else "")


def join_reasons(pairs) -> tuple[tuple, tuple]:
    """``(op id, reason)`` pairs -> ``(offending, reasons)``: ids in first-seen order, no
    repeats, the reasons of one id joined by ``"; "``."""
    by_op: dict = {}
    for op, reason in pairs:
        by_op.setdefault(op, []).append(reason)
    return tuple(by_op), tuple("; ".join(r) for r in by_op.values())
