"""The exercise machinery: run a grader on the student's answer and report the outcome."""

from __future__ import annotations

import html
import inspect
import reprlib
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Exercise", "Outcome", "Incorrect", "NotAttempted", "not_valid", "CORRECT", "INCORRECT",
           "NOT_ATTEMPTED"]

CORRECT, INCORRECT, NOT_ATTEMPTED = "Correct", "Incorrect", "Not attempted"
_COLOURS = {CORRECT: "#009E73", INCORRECT: "#D55E00", NOT_ATTEMPTED: "#0072B2"}


class Incorrect(Exception):
    """Raised by a grader: the answer is wrong. ``seed`` replays the failing run; ``replay``,
    when the lab has a replay function, is the call that draws it (``"lab01.replay(seed=3)"``),
    appended to the reason as ``replay: <call>``."""

    def __init__(self, reason: str, *, seed: int | None = None,
                 replay: str | None = None) -> None:
        if replay is not None:
            reason = f"{reason}{' ' if reason.endswith('.') else '. '}replay: {replay}"
        super().__init__(reason)
        self.reason = reason
        self.seed = seed
        self.replay = replay


class NotAttempted(Exception):
    """Raised by a grader when the answer is still the skeleton's placeholder."""


_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict = 60, 60, 4, 4


def shown(answer: Any) -> str:
    """``repr(answer)``, shortened for a message (a long history shows its first rows)."""
    return _SHORT.repr(answer)


def is_code(answer: Any) -> bool:
    """True if the answer is the student's code (a function, a method, a callable object), not
    a value such as ``"majority"``, ``("one", "all")`` or a list of operation dicts."""
    return callable(answer) and not isinstance(answer, type)


def not_valid(answer: Any, reason: str) -> Incorrect:
    """The :class:`Incorrect` for a value answer the library (or the question) does not accept:
    ``your answer '2' is not valid: <reason>``. Raise it from a grader."""
    return Incorrect(f"your answer {shown(answer)} is not valid: {reason}")


def _error_text(exc: BaseException) -> str:
    from ..errors import CaplabError
    # caplab's own errors say what was given and what is allowed; others need their type
    return str(exc) if isinstance(exc, CaplabError) else f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Outcome:
    """The verdict of one ``check()``: status, a message, and a seed to replay a failure."""

    exercise: str
    status: str
    message: str
    seed: int | None = None
    replay: str | None = None   # the call that draws the failing run (named in the message)

    def __bool__(self) -> bool:
        return self.status == CORRECT

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def text(self) -> str:
        out = f"{self.exercise}: {self.status}. {self.message}"
        if self.seed is not None and self.status == INCORRECT and self.replay is None:
            out += f" (replay with seed={self.seed})"
        return out

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        seed = (f"<br><small>replay with <code>seed={self.seed}</code></small>"
                if self.seed is not None and self.status == INCORRECT and self.replay is None
                else "")
        return (f'<div style="border-left:6px solid {colour};padding:6px 10px;font-size:1.05em">'
                f'<b style="color:{colour}">{html.escape(self.status)}</b> '
                f'<span>({html.escape(self.exercise)})</span><br>{html.escape(self.message)}'
                f"{seed}</div>")

    def __repr__(self) -> str:
        return f"Outcome({self.text()!r})"


class Exercise:
    """One auto-checked exercise.

    Args:
        name: shown in outcomes, e.g. ``"Lab 1, question 1"``.
        answer_name: the name the student's answer has in the notebook (``check()`` with no
            argument looks it up in the caller's globals).
        grader: ``grader(answer) -> str`` (a message on success); raises :class:`Incorrect`
            (with a reason and a seed) or :class:`NotAttempted`.
        hint: text for ``hint()``, or a tuple of tiers: ``hint(1)`` nudges, ``hint(2)`` names
            the idea, ``hint(3)`` comes near the solution.
        solution: the reference solution (source text) for ``solution()``.
        reference: the reference solution object, used by the tests to prove the grader passes
            it.
    """

    def __init__(self, name: str, *, answer_name: str, grader: Callable[[Any], str], hint,
                 solution: str, reference: Any = None) -> None:
        self.name = name
        self.answer_name = answer_name
        self.grader = grader
        self.hints = (hint,) if isinstance(hint, str) else tuple(hint)
        self._hint = self.hints[0]
        self._solution = solution
        self.reference = reference

    def check(self, answer: Any = None) -> Outcome:
        """Grade ``answer`` (or the caller's global ``answer_name``) and return the outcome.

        A grader's unexpected exception is reported as "your code raised ..." when the answer
        is the student's function, and as "your answer ... is not valid: ..." when it is a
        value (the student wrote no code; the library refused the value).
        """
        defined = True
        if answer is None:
            frame = inspect.currentframe()
            caller = frame.f_back.f_globals if frame is not None and frame.f_back else {}
            defined = self.answer_name in caller
            answer = caller.get(self.answer_name)
        if answer is None:
            state = "is still None" if defined else "is not defined yet"
            return Outcome(self.name, NOT_ATTEMPTED,
                           f"{self.answer_name} {state}: give it your answer in the exercise "
                           f"cell, then run check() again")
        try:
            message = self.grader(answer)
        except NotAttempted as exc:
            return Outcome(self.name, NOT_ATTEMPTED, str(exc) or "replace the placeholder")
        except Incorrect as exc:
            return Outcome(self.name, INCORRECT, exc.reason, exc.seed, exc.replay)
        except Exception as exc:
            if is_code(answer):   # the student's code raised: that is an answer too, a wrong one
                return Outcome(self.name, INCORRECT,
                               f"your code raised {type(exc).__name__}: {exc}")
            return Outcome(self.name, INCORRECT, not_valid(answer, _error_text(exc)).reason)
        return Outcome(self.name, CORRECT, message)

    @property
    def hint_text(self) -> str:
        """The hint, as text (what :meth:`hint` prints)."""
        return self._hint

    @property
    def solution_text(self) -> str:
        """The reference solution's source text (what :meth:`solution` prints)."""
        return self._solution

    def hint(self, level: int = 1) -> None:
        """Print hint number ``level`` (1 to ``len(self.hints)``: the first nudges, the last
        comes near the solution). Returns None, so that Jupyter shows the text once (a
        returned string would be echoed a second time as the cell's value);
        :attr:`hint_text` holds the first tier, :attr:`hints` all of them.

        Example:
            >>> ex.hint()      # tier 1; ex.hint(2) says more      # doctest: +SKIP
        """
        if len(self.hints) == 1 and level == 1:
            print(f"Hint: {self._hint}")
            return
        if isinstance(level, bool) or not isinstance(level, int) or \
                not 1 <= level <= len(self.hints):
            print(f"hint(level) takes a level from 1 to {len(self.hints)}, got {level!r}")
            return
        more = f" (hint({level + 1}) says more)" if level < len(self.hints) else ""
        print(f"Hint {level}/{len(self.hints)}: {self.hints[level - 1]}{more}")

    def solution(self) -> None:
        """Print the reference solution. Returns None, so that Jupyter shows it once;
        :attr:`solution_text` holds the text."""
        print(self._solution)

    def __repr__(self) -> str:
        tiers = f"hint(1..{len(self.hints)})" if len(self.hints) > 1 else "hint()"
        return f"<Exercise {self.name!r}: check({self.answer_name}), {tiers}, solution()>"
