"""Determinism: the same seed gives a byte-identical trace in fresh processes."""

import hashlib
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import hashlib, sys
    sys.path.insert(0, sys.argv[1])
    from caplab.net import Network, Nemesis, Mixture, Pareto, Exponential
    from caplab.sim import Simulation
    from test_fault_properties import Chatty, NODES
    sim = Simulation(2024)
    lat = Mixture([(0.9, Pareto(1.0, 3.0)), (0.1, Exponential(0.05))])
    net = Network(sim, latency=lat, loss=0.1, duplicate=0.02)
    log = []
    for n in NODES:
        net.add(Chatty(n, log))
    for n in NODES:
        net.endpoints[n].start()
    Nemesis.random(net, duration_ms=3000, faults=("partition", "isolate", "crash", "cut",
                                                  "skew")).start()
    sim.run(until=4000)
    text = sim.trace.text()
    print(len(sim.trace), hashlib.sha256(text.encode()).hexdigest())
""")


def test_seeded_scenario_is_byte_identical_in_three_fresh_processes(tmp_path):
    """Random latency, loss, duplication and a random nemesis: one trace, three processes."""
    import pathlib
    net_tests = str(pathlib.Path(__file__).parent / "net")
    outs = {subprocess.run([sys.executable, "-c", SCRIPT, net_tests], capture_output=True,
                           text=True, check=True, env={"PYTHONHASHSEED": str(seed),
                                                       "PATH": "/usr/bin:/bin"}).stdout
            for seed in (1, 2, 3)}   # different hash salts: salted hash() must not leak in
    assert len(outs) == 1
    count, digest = outs.pop().split()
    assert int(count) > 1000
