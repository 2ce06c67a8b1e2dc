"""``Predict``: ask first, then show. A question with choices and a *reveal* button; the result
cell stays closed ("make your prediction above") until the student has chosen and revealed, and
the choice is recorded (locked) before the result is shown, so "Run All" does not give every
answer away.

The teaching pattern is the one of the course notebooks (STYLE.md: *predict then observe*), and
of peer instruction: committing to an answer before seeing it is what makes the surprise teach.
"""

from __future__ import annotations

import html

import ipywidgets as w

from ..errors import ConfigError

__all__ = ["Predict", "predictions"]

#: Every prediction revealed in this kernel, in order: dicts ``question, choice, answer,
#: correct`` (an instructor can collect them, e.g. for a poll).
_RECORD: list[dict] = []

CLOSED = "Make your prediction above, then press <b>reveal</b>."


def predictions() -> list[dict]:
    """The predictions revealed so far in this kernel, oldest first (copies)."""
    return [dict(r) for r in _RECORD]


class Predict:
    """A prediction question: pick a choice, press reveal; then its result cells open.

    Args:
        question: what to predict (shown in bold).
        choices: the possible answers (at least two).
        answer: the index (or text) of the right choice, or None when there is no single one.
        explain: what the result shows and why (HTML allowed), shown after the reveal.

    Raises:
        ConfigError: fewer than two choices, or an ``answer`` that is not one of them.

    Example:
        >>> q = Predict("Will the cut-off write be acknowledged?", ["yes", "no"], answer="no")
        >>> q.choose("no"); q.reveal(); q.correct
        True
        >>> predictions()[-1]["choice"]
        'no'

        In a notebook, ``q`` displays the question; a later cell's ``q.result(fn)`` stays
        closed until the reveal, then shows what ``fn`` prints or returns.
    """

    def __init__(self, question: str, choices, *, answer=None, explain: str = "") -> None:
        choices = [str(c) for c in choices]
        if len(choices) < 2:
            raise ConfigError(f"a prediction needs at least two choices, got {choices!r}")
        if isinstance(answer, int) and not isinstance(answer, bool):
            if not 0 <= answer < len(choices):
                raise ConfigError(f"answer index {answer} is not one of 0..{len(choices) - 1}")
            answer = choices[answer]
        if answer is not None and answer not in choices:
            raise ConfigError(f"answer {answer!r} is not a choice; choices: {choices!r}")
        self.question, self.choices, self.answer, self.explain = question, choices, answer, explain
        self.choice: str | None = None
        self.revealed = False
        self._results: list = []      # (output widget, function) pairs waiting for the reveal
        self.options = w.RadioButtons(options=choices, value=None, layout=w.Layout(width="auto"))
        self.options.observe(lambda change: self._picked(change["new"]), names="value")
        self.reveal_button = w.Button(description="reveal", disabled=True,
                                      button_style="primary",
                                      tooltip="record your prediction and show the result")
        self.reveal_button.on_click(lambda _b: self.reveal())
        self.feedback = w.HTML()
        self.widget = w.VBox([w.HTML(f"<b>Predict.</b> {html.escape(question)}"),
                              self.options, self.reveal_button, self.feedback])
        self.widget.add_class("caplab-predict")

    def _picked(self, value) -> None:
        if not self.revealed:
            self.choice = value
            self.reveal_button.disabled = value is None

    def choose(self, choice) -> None:
        """Pick a choice (what clicking it does).

        Raises:
            ConfigError: not one of the choices, or already revealed.
        """
        if self.revealed:
            raise ConfigError("this prediction is already revealed; its choice is recorded")
        if str(choice) not in self.choices:
            raise ConfigError(f"{choice!r} is not a choice; choices: {self.choices!r}")
        self.options.value = str(choice)

    @property
    def correct(self) -> bool | None:
        """Whether the recorded choice is the answer (None before the reveal or with no
        single answer)."""
        if not self.revealed or self.answer is None:
            return None
        return self.choice == self.answer

    def reveal(self) -> None:
        """Record the choice (locked from now on), then open every result cell.

        Raises:
            ConfigError: nothing chosen yet.
        """
        if self.revealed:
            return
        if self.choice is None:
            raise ConfigError("choose an answer first: the prediction is recorded before the "
                              "result is shown")
        self.revealed = True
        self.options.disabled = self.reveal_button.disabled = True
        _RECORD.append({"question": self.question, "choice": self.choice,
                        "answer": self.answer, "correct": self.correct})
        verdict = {True: "✓ right", False: f"✗ the run shows: {html.escape(str(self.answer))}",
                   None: ""}[self.correct]
        self.feedback.value = (f"You predicted <b>{html.escape(self.choice)}</b>. {verdict}"
                               + (f"<br>{self.explain}" if self.explain else ""))
        for out, fn in self._results:
            self._open(out, fn)

    def result(self, fn) -> w.Output:
        """A result area: shows :data:`CLOSED` until the reveal, then what ``fn()`` prints
        and displays (run at the reveal; at once if already revealed).

        Args:
            fn: a function of no arguments (print, display a figure, or return one).
        """
        out = w.Output()
        self._results.append((out, fn))
        if self.revealed:
            self._open(out, fn)
        else:
            # Set the closed notice as the widget's output directly, not by capturing a display
            # inside ``with out:``: headless runs (nbclient) were seen stalling on that capture.
            from IPython.display import HTML
            out.append_display_data(HTML(f"<i>{CLOSED}</i>"))
        return out

    @staticmethod
    def _open(out, fn) -> None:
        from IPython.display import display
        out.clear_output()
        with out:
            shown = fn()
            if shown is not None:
                display(shown)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
