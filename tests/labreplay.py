"""A check shared by the lab tests: a failing outcome names its replay call once, and the call
runs as written."""

from __future__ import annotations


def run_named_replay(outcome, call: str, names: dict):
    """Assert ``outcome`` names ``call`` once (and not the generic '(replay with seed=N)'),
    then evaluate ``call`` with ``names`` (the lab module and the skeleton's answer name) and
    return what it returns."""
    assert outcome.replay == call and outcome.text().count(call) == 1, outcome.text()
    assert "replay with" not in outcome.text()
    return eval(call, dict(names))
