"""Determinism: the autoscaled sale spike with a crash gives one history in fresh processes
with different hash salts."""

import pathlib
import subprocess
import sys
import textwrap

SRC = str(pathlib.Path(__file__).resolve().parents[2] / "src")

SCRIPT = textwrap.dedent("""
    import hashlib, sys
    sys.path.insert(0, sys.argv[1])
    from caplab.services import sale_spike
    d = sale_spike("autoscaled", seed=3, crash_at_ms=28_000)["deployment"]
    c = d.loads[0]
    rows = list(zip(c.sent_ms, c.feature, c.end_ms, c.status))
    rows += [(i.name, i.launched_ms, i.ready_ms, i.retired_ms, tuple(i.timeline))
             for i in d.instances()]
    rows += [tuple(t.balancer.health_log) for t in d.tiers.values()]
    print(len(c.sent_ms), hashlib.sha256(repr(rows).encode()).hexdigest())
""")


def test_the_autoscaled_spike_is_identical_in_fresh_processes():
    """Same seed, two hash salts: the same requests, instances, timelines and health log."""
    outs = {subprocess.run([sys.executable, "-c", SCRIPT, SRC], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": str(salt),
                                            "PATH": "/usr/bin:/bin"}).stdout
            for salt in (1, 2)}
    assert len(outs) == 1
    assert int(outs.pop().split()[0]) > 4_000
