"""Notebooks 03-06 and 10 ask before they show: a Predict widget before each key reveal, the claims
checked by ``verify`` (no bare assert cells), and every result cell that a reveal opens runs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = ["03-cp-in-depth", "04-ap-in-depth", "05-eventual-consistency-measured",
             "06-checking-consistency", "10-scaling-and-resilience"]

#: appended to the notebook in memory: reveal every prediction with its answer and run each
#: result function directly (inside an Output widget an exception would be swallowed)
REVEAL_ALL = """
from caplab.widgets import Predict as _P
_asked = list({id(v): v for v in list(globals().values()) if isinstance(v, _P)}.values())
for _q in _asked:
    _q.choose(_q.answer if _q.answer is not None else _q.choices[0])
    _fns = [fn for _out, fn in _q._results]
    _q._results = []
    _q.reveal()
    assert _q.correct in (True, None)
    for _fn in _fns:
        _fn()
print("revealed", len(_asked), "predictions")
"""


def _code(name: str) -> list[str]:
    nb = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_claims_use_verify_not_assert(name):
    """No code cell of the notebook asserts; its claims go through verify()."""
    cells = _code(name)
    assert not [c for c in cells if any(line.lstrip().startswith("assert ")
                                        for line in c.splitlines())]
    assert sum("verify(" in c for c in cells) >= 3


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_predictions_come_before_their_results(name):
    """Each Predict widget is shown in a cell before the first cell that opens its result."""
    cells = _code(name)
    asked = {}
    for i, cell in enumerate(cells):
        for line in cell.splitlines():
            if "= Predict(" in line:
                asked[line.split("=")[0].strip()] = i
    assert len(asked) >= 2, f"{name}: fewer than two predictions"
    for var, i in asked.items():
        opened = [j for j, c in enumerate(cells) if f"{var}.result(" in c]
        assert opened and min(opened) > i, (var, i, opened)


@pytest.mark.notebooks
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_revealed_results_run(name):
    """Run All, then reveal every prediction: every result cell runs without an error."""
    path = REPO / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REVEAL_ALL))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "revealed" in out
