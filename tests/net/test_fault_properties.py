"""Property tests over random fault schedules: no delivery across a cut, nothing runs on a
crashed node."""

from hypothesis import given, settings, strategies as st

from caplab.net import Endpoint, Network, Uniform, message
from caplab.sim import Simulation

NODES = ["n1", "n2", "n3", "n4"]


@message
class Gossip:
    n: int


class Chatty(Endpoint):
    """Gossips to a random peer every few ms and logs every handler and timer it runs."""

    def __init__(self, name, log):
        super().__init__(name)
        self.log = log

    def on_restart(self):
        self.start()

    def start(self):
        self.set_timer(self.rng("gossip").randint(1, 5), self.on_gossip_timer)

    def on_gossip_timer(self):
        self.log.append(("timer", self.name, self.now, self.up))
        peer = NODES[self.rng("peer").randrange(len(NODES))]
        if peer != self.name:
            self.send(peer, Gossip(self.now))
        self.start()

    def handle_gossip(self, msg, src):
        self.log.append(("recv", self.name, self.now, self.up, src))


fault = st.one_of(
    st.tuples(st.just("isolate"), st.sampled_from(NODES)),
    st.tuples(st.just("cut"), st.sampled_from(NODES), st.sampled_from(NODES)).filter(
        lambda t: t[1] != t[2]),
    st.tuples(st.just("partition"), st.lists(st.sampled_from(NODES), min_size=1, max_size=3,
                                             unique=True)),
    st.tuples(st.just("crash"), st.sampled_from(NODES)),
    st.tuples(st.just("heal")),
)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.lists(st.tuples(st.integers(1, 40), fault),
                                                   min_size=1, max_size=12))
def test_no_delivery_across_a_cut_and_nothing_runs_on_a_crashed_node(seed, steps):
    """Between fault changes, every delivery crosses only reachable links and lands on an up
    node; no timer fires on a crashed node."""
    sim = Simulation(seed)
    net = Network(sim, latency=Uniform(1, 8), loss=0.05)
    log = []
    for name in NODES:
        net.add(Chatty(name, log))
    for name in NODES:
        net.endpoints[name].start()
    for gap, f in steps:
        sim.run_for(gap)
        if f[0] == "partition":
            net.partition(f[1])
        elif f[0] == "crash":
            node = f[1]
            if net.is_up(node):
                net.crash(node)
            else:
                net.restart(node)
        else:
            getattr(net, f[0])(*f[1:])
        mark = len(log)
        sim.run_for(1)  # let the new state take effect for at least one ms
        for entry in log[mark:]:
            assert entry[3], f"{entry} ran on a crashed node"
            if entry[0] == "recv":
                assert net.reachable(entry[4], entry[1]), f"{entry} crossed a cut"
    assert all(entry[3] for entry in log)
