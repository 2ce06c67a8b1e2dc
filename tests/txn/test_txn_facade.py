"""The facades: self-description for views and panels, a shared world, the public names."""

from __future__ import annotations

import subprocess
import sys

import caplab.txn
from caplab.kv import Cluster
from caplab.txn import PHASES, Choreography, Sagas, TwoPhaseCommit
from caplab.world import Description


def test_two_phase_commit_describes_its_roles_options_and_crash_presets():
    """describe() names the coordinator as leader and offers a crash preset per phase."""
    tpc = TwoPhaseCommit(participants=2, seed=1, vote_timeout_ms=150)
    d = tpc.describe()
    assert isinstance(d, Description) and d.system == "txn" and d.mode == "2pc"
    assert d.leader_roles == ("coordinator",)
    assert [a for a, _ in d.presets.values()].count("crash_at") == len(PHASES)
    assert {o.name: o.default for o in d.options_for("system")}["vote_timeout_ms"] == 150
    assert tpc.roles() == {"tm": "coordinator", "order": "participant",
                           "payment": "participant"}
    tpc.crash("tm")
    assert tpc.roles()["tm"] == "down"


def test_sagas_and_choreography_describe_themselves():
    """The saga system names its manager in its mode; choreography has no leader."""
    s = Sagas(seed=1, manager="seed")
    assert s.describe().mode == "saga-seed" and s.describe().leader_roles == ("orchestrator",)
    assert Choreography(seed=1).describe().leader_roles == ()


def test_a_transaction_system_shares_a_world_with_a_key_value_cluster():
    """One world, two systems: the clock, the faults and the history are shared."""
    c = Cluster(mode="cp", nodes=3, seed=1)
    tpc = TwoPhaseCommit(world=c.world)
    assert tpc.world is c.world and tpc.now == c.now
    assert tpc.transaction(tpc.place_order("o1")).ok
    assert set(tpc.nodes) < set(c.world.nodes)


def test_public_names_exist_and_the_package_imports_no_ui_library():
    """Every name in caplab.txn.__all__ exists; the simulator code pulls in no UI library."""
    for name in caplab.txn.__all__:
        assert hasattr(caplab.txn, name), name
    code = ("import sys, caplab.txn, caplab.txn.measure, caplab.txn.isolation;"
            "print(sorted(m for m in ('pandas', 'plotly', 'networkx', 'ipywidgets')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
