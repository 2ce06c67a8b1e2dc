"""A stateful hypothesis test: an operator partitions, heals, crashes, restarts, writes and
reads at random; invariant: at most one primary per term, and majority writes are never lost."""

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from caplab.kv import Cluster

from helpers_cp import primaries_by_term

NODES = ["n1", "n2", "n3"]


class ReplicaSetMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.c = Cluster(mode="cp", nodes=3, seed=7)
        self.clients = [self.c.client(f"c{i}", near=n) for i, n in enumerate(NODES)]
        self.acked: set = set()
        self.value = 0

    @rule(a=st.sampled_from(NODES), b=st.sampled_from(NODES))
    def partition(self, a, b):
        rest = [n for n in NODES if n not in (a, b)]
        if rest:
            self.c.partition(sorted({a, b}), rest)

    @rule()
    def heal(self):
        self.c.heal()

    @rule(node=st.sampled_from(NODES))
    def crash_or_restart(self, node):
        (self.c.restart if self.c.roles()[node] == "down" else self.c.crash)(node)

    @rule(i=st.integers(0, 2), w=st.sampled_from(["majority", 1]))
    def write(self, i, w):
        if self.clients[i].up:
            self.value += 1
            r = self.clients[i].put("k", self.value, w=w, timeout_ms=1500)
            if r.ok and w == "majority":
                self.acked.add(self.value)

    @rule(ms=st.integers(50, 1500))
    def wait(self, ms):
        self.c.run_for(ms)

    @invariant()
    def one_primary_per_term(self):
        assert all(len(m) == 1 for m in primaries_by_term(self.c).values())

    @invariant()
    def majority_writes_not_rolled_back(self):
        assert not {r["value"] for r in self.c.rollbacks()} & self.acked


ReplicaSetMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=15,
                                               deadline=None)
TestReplicaSet = ReplicaSetMachine.TestCase
