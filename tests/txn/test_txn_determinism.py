"""Determinism: the same seed gives the same history and trace text, across fresh processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from caplab.txn import TwoPhaseCommit

SCRIPT = textwrap.dedent("""
    import hashlib, sys
    sys.path.insert(0, sys.argv[1])
    from caplab.txn import Sagas, TwoPhaseCommit
    tpc = TwoPhaseCommit(participants=4, seed=7, latency=("uniform", 1, 9))
    tpc.world.nemesis(duration_ms=2000, faults=("partition", "crash"))
    for i in range(30):
        tpc.transaction_async(tpc.place_order(f"o{i}", item=("apple", "pear")[i % 2]))
        tpc.run_for(40)
    tpc.run_for(3000)
    s = Sagas(seed=7, latency=("uniform", 1, 9))
    s.refuse("inventory", "reserve", times=3)
    s.crash_after("compensated")
    for i in range(10):
        s.saga_async(s.order_steps(f"o{i}"))
    s.run_for(500)
    s.restart("saga")
    s.run_for(1000)
    text = tpc.history.text() + tpc.sim.trace.text() + s.history.text() + s.sim.trace.text()
    print(len(text), hashlib.sha256(text.encode()).hexdigest())
""")


def test_same_seed_same_history_and_trace_in_fresh_processes():
    """2PC under a random nemesis and sagas with failures and a crash: one text, three
    processes with different hash salts."""
    import pathlib
    src = str(pathlib.Path(__file__).resolve().parents[2] / "src")
    outs = {subprocess.run([sys.executable, "-c", SCRIPT, src], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": str(seed),
                                            "PATH": "/usr/bin:/bin"}).stdout
            for seed in (1, 2, 3)}
    assert len(outs) == 1
    assert int(outs.pop().split()[0]) > 10_000


def test_a_different_seed_gives_a_different_history():
    """The seed matters: another seed, another interleaving."""
    def run(seed):
        tpc = TwoPhaseCommit(seed=seed, latency=("uniform", 1, 20))
        for i in range(5):
            tpc.transaction_async(tpc.place_order(f"o{i}"))
        tpc.run_for(500)
        return tpc.history.text()
    assert run(1) == run(1)
    assert run(1) != run(2)


