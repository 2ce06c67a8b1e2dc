"""The six notebook exercises: their solution() text runs as pasted into the notebook, answers
given as values are judged with a clear message (never "your code raised"), and the Not
attempted message points at the exercise cell."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from caplab.labkit.course import nb01, nb02, nb03, nb04, nb05, nb06

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

#: notebook -> the expression the notebook uses for its exercise object
EXERCISES = {
    "01-start-here": "nb01.exercise",
    "02-cap-in-practice": "nb02.exercise",
    "03-cp-in-depth": "nb03.exercise",
    "04-ap-in-depth": "nb04.exercise",
    "05-eventual-consistency-measured": "nb05.exercise",
    "06-checking-consistency": "nb06.exercise",
}


def _code_cells(notebook: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _notebook_namespace(notebook: str) -> dict:
    """A namespace holding what the notebook imports (every import statement of its cells)."""
    ns: dict = {"__name__": "__main__"}
    for source in _code_cells(notebook):
        for node in ast.parse(source).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                exec(compile(ast.Module([node], []), notebook, "exec"), ns)
    return ns


def _run_cell(source: str, ns: dict):
    """Run a cell like Jupyter does: its last expression's value is returned."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), ns)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns) if last else None


@pytest.mark.parametrize("notebook", EXERCISES)
def test_solution_runs_as_pasted_into_the_notebook(notebook, capsys):
    """solution()'s text, pasted in place of the answer line of the notebook's exercise cell
    (in a namespace with the notebook's imports), makes that cell's check() say Correct."""
    expr = EXERCISES[notebook]
    cells = _code_cells(notebook)
    ns = _notebook_namespace(notebook)
    exercise = eval(expr, ns)
    name = exercise.answer_name
    cell = next((c for c in cells if expr.split("(")[0] in c and f"{name} =" in c), None)
    assert cell is not None, f"{notebook}: no exercise cell using {expr} and setting {name}"
    assert exercise.solution() is None   # printed once, not also returned
    solution = exercise.solution_text
    assert capsys.readouterr().out == solution + "\n"
    lines = cell.splitlines()
    answer_line = next(i for i, line in enumerate(lines) if line.startswith(f"{name} ="))
    lines[answer_line:answer_line + 1] = solution.splitlines()
    outcome = _run_cell("\n".join(lines), ns)
    assert outcome is not None and outcome.correct, (notebook, outcome)
    # and on its own, in a namespace with only the notebook's imports
    ns = _notebook_namespace(notebook)
    exec(solution, ns)
    assert eval(expr, ns).check(ns[name]).correct


@pytest.mark.parametrize("notebook", EXERCISES)
def test_hint_and_solution_cell_shows_each_text_once(notebook, capsys):
    """The notebook's commented hint/solution cell, uncommented and run like Jupyter runs it:
    each text is printed once and the cell has no value (a returned string would be shown a
    second time as the cell's output)."""
    exercise = eval(EXERCISES[notebook], _notebook_namespace(notebook))
    ns = _notebook_namespace(notebook)
    ns["_exercise"] = exercise
    value = _run_cell("_exercise.hint()\n_exercise.solution()", ns)
    out = capsys.readouterr().out
    assert value is None
    assert out.count(exercise.hint_text) == 1 and out.count(exercise.solution_text) == 1
    assert _run_cell("_exercise.solution()", ns) is None


@pytest.mark.parametrize("notebook", EXERCISES)
def test_not_attempted_points_at_the_exercise_cell(notebook):
    """None (the notebook's placeholder) is Not attempted, with no "cell above"."""
    exercise = eval(EXERCISES[notebook], _notebook_namespace(notebook))
    for outcome in (exercise.check(None), exercise.check(...)):
        assert outcome.status == "Not attempted", outcome.text()
        assert "cell above" not in outcome.message
    assert "exercise cell" in exercise.check(None).message


def test_consistency_levels_are_case_insensitive():
    """The prose writes ONE, QUORUM, ALL: those spellings (and numbers) are graded."""
    assert nb04.exercise.check(("ONE", "ALL")).correct
    assert nb04.exercise.check(("One", " all ")).correct
    assert nb04.exercise.check((1, 3)).correct
    wrong = nb04.exercise.check(("ONE", "QUORUM"))
    assert wrong.status == "Incorrect" and "stale" in wrong.message and wrong.seed is not None


@pytest.mark.parametrize("answer, bad", [
    (("ONE", "SOME"), "'SOME'"),
    (("fast", "all"), "'fast'"),
    (("one", 4), "4"),
])
def test_invalid_consistency_level_is_named(answer, bad):
    """A level that does not exist is named, with the allowed ones; no "your code raised"."""
    outcome = nb04.exercise.check(answer)
    assert outcome.status == "Incorrect"
    assert bad in outcome.message and "not valid" in outcome.message
    assert "your code" not in outcome.message
    if not isinstance(answer[1], int):
        assert "'quorum'" in outcome.message and "'all'" in outcome.message


@pytest.mark.parametrize("q, answer", [
    (nb03.exercise, "2"),
    (nb03.exercise, 6),
    (nb03.exercise, 0),
    (nb03.exercise, True),
    (nb03.exercise, "Majority"),
    (nb01.exercise, "n9"),
    (nb01.exercise, [["n1", "n2"], ["n3", "n4", "n9"]]),
    (nb01.exercise, [["n1", "n2"], ["n3", "n4", "n5"]]),
    (nb02.exercise, "both"),
    (nb02.exercise, ("one", "eventually")),
    (nb04.exercise, "one"),
    (nb05.exercise, "soon"),
    (nb05.exercise, float("nan")),
    (nb05.exercise, -3),
    (nb06.exercise, "x"),
    (nb06.exercise, [{"op": "put"}]),
])
def test_value_answers_are_not_valid_rather_than_code_that_raised(q, answer):
    """A value the library refuses: "your answer <value> is not valid: <why>"."""
    outcome = q.check(answer)
    assert outcome.status == "Incorrect", outcome.text()
    assert outcome.message.startswith(f"your answer {answer!r}"[:20]), outcome.message
    assert "is not valid:" in outcome.message and "your code raised" not in outcome.message


def test_write_concern_names_the_library_rule():
    """safe_w="2": the message quotes what the replica set accepts."""
    message = nb03.exercise.check("2").message
    assert message.startswith("your answer '2' is not valid: ")
    assert "'majority'" in message and "1 <= w <= 5" in message


def test_other_spellings_that_are_right():
    """Answers written the way the notebooks' prose writes them are accepted."""
    assert nb01.exercise.check([["N1 ", "n2"], ("n3", "n4"), ["n5"]]).correct
    assert nb02.exercise.check(("QUORUM", "One")).correct


def test_a_function_answer_that_raises_is_code():
    """Only a student function gets "your code raised"."""
    from caplab.labkit import Exercise

    def grader(answer):
        return str(answer(1) if callable(answer) else int(answer))

    q = Exercise("t", answer_name="x", grader=grader, hint="", solution="")

    def broken(x):
        raise KeyError("boom")

    assert q.check(broken).message == "your code raised KeyError: 'boom'"
    assert q.check("abc").message.startswith("your answer 'abc' is not valid: ValueError")
