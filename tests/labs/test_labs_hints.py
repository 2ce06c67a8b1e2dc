"""Labs 1-4 keep their answers out of sight: no public reference names (tab-completion), hints
in tiers that start with a nudge, and no answer printed below lab 2's exercise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caplab.labkit.labs import lab01, lab02, lab03, lab04

LABS = Path(__file__).resolve().parents[2] / "labs"


@pytest.mark.parametrize("lab", [lab01, lab02, lab03, lab04], ids=lambda m: m.__name__[-5:])
def test_no_public_reference_names(lab):
    """No public name of a lab module holds a reference answer (what lab0N.<Tab> lists)."""
    public = [n for n in dir(lab) if not n.startswith("_")]
    assert not [n for n in public if "reference" in n.lower() or n in ("mongodb_vote_rule",)]
    answers = {id(q.reference) for q in (getattr(lab, n) for n in public)
               if hasattr(q, "reference") and q.reference is not None}
    assert not [n for n in public if id(getattr(lab, n)) in answers]


@pytest.mark.parametrize("q", [lab01.q1, lab01.q2, lab01.q3, lab02.q1, lab03.q1, lab04.q1,
                               lab04.q2], ids=lambda q: q.name.split(":")[0])
def test_hints_come_in_three_tiers(q, capsys):
    """hint(1), hint(2), hint(3) print three different texts, each pointing at the next."""
    assert len(q.hints) == 3 and len(set(q.hints)) == 3
    for level in (1, 2, 3):
        q.hint(level)
        out = capsys.readouterr().out
        assert out.startswith(f"Hint {level}/3: {q.hints[level - 1]}")
        assert ("hint(" in out) == (level < 3)
    q.hint(4)
    assert "from 1 to 3" in capsys.readouterr().out


def test_first_tiers_do_not_give_the_algorithm():
    """Lab 3's and lab 4's first hints nudge: they name no guard and no max()."""
    assert "optime" not in lab03.q1.hints[0] and "voted_for" not in lab03.q1.hints[0]
    assert "older than yours" in lab03.q1.hints[2]
    for q in (lab04.q1, lab04.q2):
        assert "max" not in q.hints[0] and "None" not in q.hints[0]
    assert "max" in lab04.q1.hints[2]


def test_lab02_summary_does_not_name_the_merge():
    """Lab 2's notebook and README never say "union" (the answer) outside solution()."""
    nb = json.loads((LABS / "lab02-cart-merge" / "lab02-cart-merge.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in nb["cells"])
    assert "union" not in text.lower()
    assert "union" not in (LABS / "lab02-cart-merge" / "README.md").read_text().lower()
