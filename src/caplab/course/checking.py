"""Scenarios of notebook 06 (checking consistency): tiny hand-made histories for the
linearizability checker, Jepsen-style runs of a random nemesis against four store
configurations with a table of verdicts, and importing a Jepsen history from the Porcupine
corpus.

Example:
    >>> from caplab.course.checking import tiny_history
    >>> from caplab.check import check_linearizability
    >>> check_linearizability(tiny_history("inversion")).verdict
    'not linearizable'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..check import check_all
from ..errors import UnknownNameError
from ..kv import Cluster
from ..kv.workload import Workload
from ..frames import history_frame

__all__ = ["TINY_HISTORIES", "tiny_history", "CONFIGS", "NemesisFacts", "nemesis_run",
           "verdict_table", "JepsenFacts", "jepsen_import", "explain_briefly",
           "counterexample_steps"]


# -- hand-made histories -------------------------------------------------------------------
def _op(i, client, op, value, start, end, outcome="ok", key="x"):
    return {"id": i, "client": client, "op": op, "key": key, "value": value,
            "invoke_ms": start, "complete_ms": end, "outcome": outcome, "node": None,
            "error": None}


#: name -> (description, records). Times in ms; ``x`` starts absent (``None``).
TINY_HISTORIES = {
    # alice: |------- put x=1 -------|
    # bob:      |-get->None-|
    # carol:                  |-get->1-|
    "overlap": ("Both reads overlap the write; Bob sees the old value, then Carol the new "
                "one: put it after Bob's read and before Carol's.",
                [_op(0, "alice", "put", 1, 0, 10), _op(1, "bob", "get", None, 2, 4),
                 _op(2, "carol", "get", 1, 5, 8)]),
    # alice: |------- put x=1 -------|
    # bob:      |-get->1-|
    # carol:               |-get->None-|
    "inversion": ("Both reads overlap the write, but Bob already saw 1 and Carol, who began "
                  "after Bob finished, sees the old value: no single order explains both.",
                  [_op(0, "alice", "put", 1, 0, 10), _op(1, "bob", "get", 1, 2, 4),
                   _op(2, "carol", "get", None, 5, 8)]),
    # alice: |-put x=1-|
    # bob:                |-get->None-|
    "stale": ("The write finished before the read began, yet the read returns the old value.",
              [_op(0, "alice", "put", 1, 0, 3), _op(1, "bob", "get", None, 5, 7)]),
}


def tiny_history(name: str) -> list[dict]:
    """The records of a hand-made history (see :data:`TINY_HISTORIES`), a fresh copy."""
    if name not in TINY_HISTORIES:
        raise UnknownNameError("tiny history", name, list(TINY_HISTORIES))
    return [dict(r) for r in TINY_HISTORIES[name][1]]


# -- Jepsen-style runs ---------------------------------------------------------------------
#: configuration -> (mode, mode options, put options, get options, final-read options)
CONFIGS = {
    "CP majority + linearizable": ("cp", {}, {"w": "majority"},
                                   {"read_concern": "linearizable"},
                                   {"read_concern": "linearizable"}),
    "CP w=1": ("cp", {}, {"w": 1}, {"read_concern": "local"},
               {"read_concern": "majority"}),
    "AP quorum": ("ap", {}, {"consistency": "quorum"}, {"consistency": "quorum"},
                  {"consistency": "all"}),
    "AP one": ("ap", {}, {"consistency": "one"}, {"consistency": "one"},
               {"consistency": "all"}),
}


@dataclass(frozen=True)
class NemesisFacts:
    """One configuration under one random fault schedule: the history and its verdicts."""

    config: str
    seed: int
    faults: tuple           # the nemesis schedule, as readable lines
    ops: int
    ok: int
    fail: int
    info: int
    acked_rolled_back: int  # CP: acknowledged writes later removed by a rollback
    verdicts: dict          # check -> verdict (from summarize)
    counts: dict            # check -> offending operations
    summary: Any = field(repr=False, compare=False)    # the summarize() DataFrame
    cluster: Any = field(repr=False, compare=False)
    checks: Any = field(default=None, repr=False, compare=False)  # caplab.check.Summary


def nemesis_run(config: str, seed: int = 1, *, duration_ms: int = 8000,
                faults=("partition", "isolate", "crash"), fault_ms=(1000, 3000),
                mean_gap_ms: int = 500, clients: int = 5, keys: int = 2,
                mean_think_ms: int = 25, settle_ms: int = 3000) -> NemesisFacts:
    """Run a random nemesis and a workload against one configuration, then check the history.

    Five nodes; ``clients`` clients (placed near different nodes) read and write ``keys`` keys
    with unique values while the nemesis injects ``faults`` (each lasting a uniform time in
    ``fault_ms``, ``mean_gap_ms`` apart on average) for ``duration_ms``; then
    everything heals, the cluster settles for ``settle_ms``, and a final client reads every key
    at the strongest level (Jepsen's final read), which is what the lost-write check judges.

    Args:
        config: a key of :data:`CONFIGS`.

    Returns:
        :class:`NemesisFacts` (``summary`` is :func:`caplab.check.summarize`'s table).
    """
    if config not in CONFIGS:
        raise UnknownNameError("configuration", config, list(CONFIGS))
    mode, options, put_opts, get_opts, final_opts = CONFIGS[config]
    c = Cluster(mode=mode, nodes=5, seed=seed, **options)
    c.run_for(1500)      # the replica set elects a primary (same start for every mode)
    nem = c.nemesis(duration_ms=duration_ms, faults=tuple(faults), fault_ms=tuple(fault_ms),
                    mean_gap_ms=mean_gap_ms)
    work = Workload(c, clients=clients, keys=keys, read_fraction=0.5,
                    mean_think_ms=mean_think_ms, put_options=put_opts, get_options=get_opts)
    work.run(duration_ms=duration_ms)
    c.heal()
    c.run_for(settle_ms)
    final = c.client("final", near=c.nodes[0])
    for key in work.keys:
        final.get(key, **final_opts)
    checks = check_all(c.history)
    summary = checks.to_frame()
    frame = history_frame(c.history)
    outcomes = frame["outcome"].value_counts().to_dict()
    rolled = set()
    if "rollbacks" in c.backend.PUBLIC:    # a system that can roll back writes records them
        rolled = {(r["key"], repr(r["value"])) for r in c.rollbacks()}
    acked = frame[(frame["op"] == "put") & (frame["outcome"] == "ok")]
    acked_rolled_back = sum((k, repr(v)) in rolled for k, v in zip(acked["key"], acked["value"]))
    return NemesisFacts(config, seed, tuple(nem.describe()), len(frame),
                        int(outcomes.get("ok", 0)), int(outcomes.get("fail", 0)),
                        int(outcomes.get("info", 0)), int(acked_rolled_back),
                        {r.checker: r.verdict for r in checks.results},
                        {r.checker: r.count for r in checks.results}, summary, c, checks)


def verdict_table(seed: int = 1, *, configs=tuple(CONFIGS), **options):
    """:func:`nemesis_run` for each configuration under the same seed (so the same fault
    schedule), as one table: a row per configuration, a column per check.

    Returns:
        ``(table, facts)``: the DataFrame (``configuration``, ``ops``, ``ok %``, one verdict
        column per check with the offending count in brackets, and ``acked writes rolled
        back`` from the replica set's rollback records) and a dict config -> facts.
    """
    import pandas as pd
    facts = {name: nemesis_run(name, seed, **options) for name in configs}
    rows = []
    for name, f in facts.items():
        row = {"configuration": name, "ops": f.ops, "ok %": round(100 * f.ok / f.ops, 1)}
        for check, verdict in f.verdicts.items():
            n = f.counts[check]
            row[check] = verdict if not n else f"{verdict} ({n})"
        row["acked writes rolled back"] = f.acked_rolled_back
        rows.append(row)
    return pd.DataFrame(rows), facts


# -- a Jepsen history ------------------------------------------------------------------------
@dataclass(frozen=True)
class JepsenFacts:
    """A history from the Porcupine corpus, our verdict, and the corpus's expected verdict."""

    file: str
    ops: int
    clients: int
    verdict: str
    expected_linearizable: bool
    agrees: bool
    result: Any = field(repr=False, compare=False)    # the LinearizabilityResult
    records: Any = field(repr=False, compare=False)


def jepsen_import(name: str = "jepsen/etcd_000.log", *, folder=None) -> JepsenFacts:
    """Load one Porcupine corpus file (Jepsen's etcd logs or Porcupine's key-value logs),
    check it for linearizability with the model that fits it, and compare with the verdict
    the corpus records in ``expected.txt``.

    Args:
        name: path relative to the corpus folder, e.g. ``"jepsen/etcd_002.log"``.
        folder: the corpus folder (default: the two histories caplab ships,
            :func:`caplab.data.bundled_porcupine_dir`, when it holds ``name``; else the whole
            corpus, :func:`caplab.history.porcupine.porcupine_dir`, i.e.
            ``../shared/data/porcupine`` beside the repository, or ``$CAPLAB_SHARED``).

    Raises:
        FileNotFoundError: the corpus is not there, with where it was looked for.
    """
    from ..check import check_linearizability
    from ..history.porcupine import load_porcupine, porcupine_dir, read_expected
    from ..data import bundled_porcupine_dir
    if folder is None:
        folder = (bundled_porcupine_dir() if (bundled_porcupine_dir() / name).exists()
                  else porcupine_dir())
    base = folder
    expected_file = base / "expected.txt"
    if not expected_file.exists():
        raise FileNotFoundError(
            f"the Porcupine corpus is not at {base} (expected.txt missing); it lives in "
            f"../shared/data/porcupine beside the repository, or set CAPLAB_SHARED to the "
            f"folder that holds data/porcupine")
    records, model = load_porcupine(base / name)
    result = check_linearizability(records, model)
    expected = read_expected(expected_file)[name]
    return JepsenFacts(name, len(records), len({r["client"] for r in records}),
                       result.verdict, expected, result.ok == expected, result, records)


# -- views' inputs ---------------------------------------------------------------------------
def counterexample_window(facts: NemesisFacts, *, margin_ms: int = 150):
    """The operations around a configuration's linearizability violation, for the timeline.

    Returns:
        ``(records, result)``: the operations on the violating key whose intervals meet
        ``[first bad op's invoke - margin_ms, last bad op's completion + margin_ms]``, and the
        :class:`~caplab.check.LinearizabilityResult` of the whole history (its ``bad_ops`` keep
        their ids), or ``([], result)`` if the history is linearizable.
    """
    from ..check import check_linearizability
    frame = history_frame(facts.cluster.history)
    result = check_linearizability(frame)
    if result.ok:
        return [], result
    bad = frame[frame["id"].isin(result.bad_ops)]
    end = bad["complete_ms"].fillna(bad["invoke_ms"].max()).max()
    lo, hi = bad["invoke_ms"].min() - margin_ms, end + margin_ms
    done = frame["complete_ms"].fillna(float("inf"))
    window = frame[(frame["key"] == result.key) & (frame["invoke_ms"] <= hi) & (done >= lo)]
    return window.to_dict("records"), result


def bar_summaries(facts: dict) -> dict:
    """config -> the plain dict :func:`caplab.viz.availability_consistency_bars` draws
    (:meth:`caplab.check.Summary.as_dict` of each run)."""
    return {name: f.checks.as_dict() for name, f in facts.items()}


def explain_briefly(result) -> str:
    """A linearizability verdict in one line: :meth:`~caplab.check.LinearizabilityResult.explain`'s
    first line followed by the operations that cannot be placed (its indented lines), without
    its closing sentence. For a linearizable history, ``explain()`` itself."""
    from ..check.summary import brief_explanation
    return brief_explanation(result.explain())


def counterexample_steps(history, result) -> tuple[list, list]:
    """The walk of a linearizability result, as the stepper shows it.

    Returns:
        ``(steps, stuck)``: dicts ``id, label, point_ms, state`` for each operation of the
        longest linearizable prefix in order (the state is the model's after it), and dicts
        ``id, reason`` for the operations that cannot go next (empty if linearizable).

    Example:
        >>> from caplab.check import check_linearizability
        >>> h = tiny_history("inversion")
        >>> steps, stuck = counterexample_steps(h, check_linearizability(h))
        >>> [(s["label"], s["point_ms"], s["state"]) for s in steps], [s["id"] for s in stuck]
        ([('put(x,1)', 0, '1'), ('get(x)→1', 2, '1')], [2])
    """
    from ..viz.counterexample import counterexample_data
    d = counterexample_data(history, result)
    return [dict(s) for s in d["steps"]], [dict(s) for s in d["stuck"]]

