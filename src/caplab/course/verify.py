"""``verify``: a notebook's claim checked quietly. With the seed the notebook's text describes,
a claim that does not hold is a real regression and raises; with another seed (a student
exploring) it explains that this run does not show the effect, and why a seed can do that,
instead of stopping the notebook with a bare ``AssertionError``.

Randomness in a run (election timeouts, latencies, which client is where) comes from the seed;
an effect that needs a race (a read landing before a step-down) appears with some seeds only.
"""

from __future__ import annotations

import html

__all__ = ["verify", "ClaimNotShown"]


class ClaimNotShown(AssertionError):
    """The notebook's own seed no longer shows a claim its text makes."""


def verify(holds, claim: str, *, seed, story_seed: int = 1, otherwise: str = "") -> None:
    """Check one claim of a notebook.

    Args:
        holds: whether the run shows the claim (a bool, or a function returning one).
        claim: the claim in words ("the cut-off client's writes are not acknowledged").
        seed: the seed this run used.
        story_seed: the seed the notebook's text describes.
        otherwise: why another seed may not show it (shown with the note).

    Returns:
        None (so a notebook cell shows nothing when the claim holds); when it does not and
        ``seed`` is not ``story_seed``, a short note is displayed instead.

    Raises:
        ClaimNotShown: the claim does not hold with the story's seed (the text is wrong).

    Example:
        >>> verify(2 + 2 == 4, "arithmetic works", seed=1)
        >>> verify(False, "a dirty read happens", seed=2, otherwise="It needs a race.")
        <IPython.core.display.HTML object>
    """
    ok = bool(holds() if callable(holds) else holds)
    if ok:
        return None
    if seed == story_seed:
        raise ClaimNotShown(f"seed {seed} should show: {claim}; it does not (the notebook's "
                            f"text describes this seed)")
    from IPython.display import HTML, display
    note = (f"<div class='caplab-note' style='background:#fff3cd;padding:6px 10px'>"
            f"Seed {html.escape(str(seed))} does not show this: <b>{html.escape(claim)}</b>. "
            f"{html.escape(otherwise)} The text describes seed {story_seed}; "
            f"try it, or another seed.</div>")
    display(HTML(note))
    return None
