"""Scenarios of notebook 05 (eventual consistency, measured): how far AP replicas drift apart
during a partition and how long after the heal they agree again, with and without the
mechanisms that repair them (hinted handoff, read repair, Merkle anti-entropy); PBS
t-visibility curves for the production latency fits; and the simulated cluster measured
against the PBS Monte Carlo.

Example:
    >>> from caplab.course.eventual import convergence_after_heal
    >>> facts = convergence_after_heal(seed=1, mechanisms="all")
    >>> facts.converged
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..check import check_convergence
from ..kv import Cluster
from ..kv.probes import wait_seen_down
from ..kv.workload import Workload
from ..errors import ConfigError, SimulationError
from ..net.latency import Constant, Exponential, Mixture, Pareto, Shifted, Uniform
from ..analyses.staleness import (PRESETS, Legs, consistent_immediately, t_at_probability,
                                  t_visibility)
from ..frames import snapshots_frame

__all__ = ["MECHANISMS", "ConvergenceFacts", "convergence_after_heal", "compare_mechanisms",
           "visibility_table", "scale_model", "scale_legs", "SimVisibility",
           "simulated_t_visibility"]

#: mechanism preset -> AP options. "none" leaves replicas to diverge for good. The clients read
#: at ONE, so read repair is the *asynchronous* kind (Dynamo section 5; like Cassandra's
#: background repair before 4.0 with ``read_repair_chance`` = 1): every read asks all live
#: replicas and repairs the stale ones in the background. Cassandra's blocking (foreground)
#: read repair asks one replica at ONE and repairs nothing (see :mod:`caplab.kv.ap.coordinator`).
MECHANISMS = {
    "none": {"hinted_handoff": False, "read_repair": "off", "anti_entropy_ms": None},
    "hints": {"hinted_handoff": True, "read_repair": "off", "anti_entropy_ms": None},
    "read repair": {"hinted_handoff": False, "read_repair": "async", "anti_entropy_ms": None},
    "blocking read repair": {"hinted_handoff": False, "read_repair": "blocking",
                             "anti_entropy_ms": None},
    "anti-entropy": {"hinted_handoff": False, "read_repair": "off", "anti_entropy_ms": 500},
    "all": {"hinted_handoff": True, "read_repair": "async", "anti_entropy_ms": 500},
}


# -- divergence and convergence ------------------------------------------------------------
@dataclass(frozen=True)
class ConvergenceFacts:
    """One partition-then-heal run: divergence over time and the time to converge."""

    mechanisms: str
    options: dict
    partition_ms: int       # when n3 (and its clients) were cut off
    seen_down_ms: int       # from the cut until both sides' detectors had convicted the other
    heal_ms: int
    end_ms: int
    max_divergent_keys: int
    divergent_at_heal: int
    divergent_at_end: int
    converged: bool
    time_to_converge_ms: int | None
    hints_stored: int
    hints_not_stored: int   # writes not hinted: the target was down longer than the window
    hints_replayed: int
    read_repairs: int
    keys_exchanged: int     # by anti-entropy
    result: Any = field(repr=False, compare=False)    # the ConvergenceResult
    cluster: Any = field(repr=False, compare=False)


def convergence_after_heal(seed: int = 1, *, mechanisms: str = "all", keys: int = 6,
                           partition_ms: int = 1500, after_ms: int = 4000,
                           sample_ms: int = 20, hint_window_ms: int = 3000,
                           reads_after_heal: bool = True,
                           quiet_before_heal_ms: int = 0) -> ConvergenceFacts:
    """Three nodes, every key on all three (RF = 3). Four clients write and read ``keys``
    keys at ONE; ``n3`` and its client are partitioned away for ``partition_ms``, and both
    sides keep accepting writes. Then the network heals, writing stops, and (with
    ``reads_after_heal``) the clients keep *reading* at ONE, which is what lets read repair
    work (read repair here is the asynchronous, Dynamo-style kind: see :data:`MECHANISMS`).
    Replica state is sampled every ``sample_ms``.

    Args:
        mechanisms: a key of :data:`MECHANISMS` (``"none"``, ``"hints"``, ``"read repair"``,
            ``"blocking read repair"``, ``"anti-entropy"``, ``"all"``).
        partition_ms: how long the clients keep writing while ``n3`` is cut off, counted from
            the moment both sides' detectors have convicted the other (``seen_down_ms`` after
            the cut); longer than ``hint_window_ms`` and the later writes are not hinted.
        hint_window_ms: a coordinator stores no new hints for a node it has seen down longer
            than this (Cassandra max_hint_window); hints stored before are still replayed.
        quiet_before_heal_ms: the partition lasts this much longer with no writes at all.

    Returns:
        :class:`ConvergenceFacts`, with the :class:`caplab.check.ConvergenceResult` as
        ``result`` (draw it with :func:`caplab.viz.divergence_curve`).
    """
    if mechanisms not in MECHANISMS:
        from ..errors import UnknownNameError
        raise UnknownNameError("mechanisms", mechanisms, list(MECHANISMS))
    options = dict(MECHANISMS[mechanisms], hint_window_ms=hint_window_ms)
    c = Cluster(mode="ap", nodes=3, seed=seed, replication_factor=3, **options)
    c.watch(every_ms=sample_ms)
    one = {"consistency": "one"}
    writes = Workload(c, clients=4, keys=keys, read_fraction=0.3, mean_think_ms=30,
                      put_options=one, get_options=one)
    writes.run(duration_ms=300)                 # a healthy start: replicas agree
    c.run_for(200)
    start = c.now
    c.isolate("n3")                             # n3 and its client c3 on their own
    # Both sides' failure detectors convict the other first (phi 8, the default: about 18
    # heartbeat intervals of silence, about 2 s here); writes sent to a node not yet
    # convicted would be hinted only after a request timeout, and replayed on the retry
    # timer rather than when the node is seen up again.
    waits = (wait_seen_down(c, "n3"), wait_seen_down(c, ["n1", "n2"], by="n3"))
    if None in waits:
        raise SimulationError(f"the detectors did not convict the cut-off side within 10 s "
                              f"(seed={seed}); this scenario needs them to")
    seen_down = sum(waits)
    writes.run(duration_ms=partition_ms)
    c.run_for(quiet_before_heal_ms)
    c.heal()
    heal = c.now
    if reads_after_heal:
        reads = Workload(c, clients=[x.name for x in writes.clients],
                         keys=keys, read_fraction=1.0, mean_think_ms=100, get_options=one,
                         stream="reads after heal")
        reads.run(duration_ms=after_ms)
    else:
        c.run_for(after_ms)
    end = c.now
    result = check_convergence(snapshots_frame(c), heal_ms=heal, nodes=c.nodes)
    frame = result.to_frame()
    at_heal = frame[frame["time_ms"] <= heal]["divergent_keys"]
    stats = c.stats()
    return ConvergenceFacts(
        mechanisms, options, start, seen_down, heal, end, result.max_divergent_keys,
        int(at_heal.iloc[-1]) if len(at_heal) else 0, int(result.divergent_keys[-1]),
        result.ok, result.time_to_converge_ms, stats["hints_stored"], stats["hints_not_stored"],
        stats["hints_replayed"], stats["read_repairs"], stats["ae_keys_exchanged"], result, c)


def compare_mechanisms(seed: int = 1, *, names=tuple(MECHANISMS), **options):
    """:func:`convergence_after_heal` once per mechanism preset, same seed and workload.

    Returns:
        ``(table, facts)``: a DataFrame with one row per preset (``mechanisms``,
        ``divergent_at_heal``, ``divergent_at_end``, ``converged``, ``time_to_converge_ms``,
        ``hints_replayed``, ``hints_not_stored``, ``read_repairs``, ``keys_exchanged``) and a
        dict name -> facts.
    """
    import pandas as pd
    facts = {name: convergence_after_heal(seed, mechanisms=name, **options) for name in names}
    rows = [{"mechanisms": f.mechanisms, "divergent_at_heal": f.divergent_at_heal,
             "divergent_at_end": f.divergent_at_end, "converged": f.converged,
             "time_to_converge_ms": f.time_to_converge_ms, "hints_replayed": f.hints_replayed,
             "hints_not_stored": f.hints_not_stored, "read_repairs": f.read_repairs,
             "keys_exchanged": f.keys_exchanged} for f in facts.values()]
    return pd.DataFrame(rows), facts


# -- PBS t-visibility ----------------------------------------------------------------------
def visibility_table(latencies=("lnkd-ssd", "lnkd-disk", "ymmr", "wan"),
                     quorums=((1, 1), (2, 1), (1, 2), (2, 2)), *, n: int = 3, p: float = 0.999,
                     trials: int = 100_000, seed: int = 1):
    """For each latency preset and each ``(R, W)``: the chance of a consistent read at commit
    and the t-visibility at probability ``p`` (PBS Table 4 style).

    Returns:
        A DataFrame: ``latency``, ``R``, ``W``, ``strict`` (R + W > N), ``p_at_commit``,
        ``t_at_p_ms``.
    """
    import pandas as pd
    rows = []
    for latency in latencies:
        for r, w in quorums:
            rows.append({"latency": latency, "R": r, "W": w, "strict": r + w > n,
                         "p_at_commit": round(consistent_immediately(
                             n, r, w, latency=latency, trials=trials, seed=seed), 4),
                         "t_at_p_ms": round(t_at_probability(
                             p, n, r, w, latency=latency, trials=trials, seed=seed), 2)})
    return pd.DataFrame(rows)


def scale_model(model, k: float):
    """The latency model ``model`` slowed down ``k`` times (every sample multiplied by ``k``).

    Pareto's scale and an exponential's mean grow by ``k``; mixtures scale each part.

    Raises:
        ConfigError: a model kind this helper does not know.
    """
    if isinstance(model, Constant):
        return Constant(model.ms * k)
    if isinstance(model, Uniform):
        return Uniform(model.low_ms * k, model.high_ms * k)
    if isinstance(model, Exponential):
        return Exponential(model.rate_per_ms / k)
    if isinstance(model, Pareto):
        return Pareto(model.xm_ms * k, model.alpha)
    if isinstance(model, Shifted):
        return Shifted(scale_model(model.base, k), model.shift_ms * k)
    if isinstance(model, Mixture):
        return Mixture([(w, scale_model(m, k)) for w, m in model.components])
    raise ConfigError(f"cannot scale latency model {model!r}; use Constant, Uniform, "
                      f"Exponential, Pareto, Shifted or Mixture")


def scale_legs(legs: Legs, k: float) -> Legs:
    """PBS legs in slow motion: every leg (and the WAN hop) ``k`` times slower. The
    t-visibility curve of the result is the original's with ``t`` multiplied by ``k``."""
    return Legs(scale_model(legs.w, k), scale_model(legs.a, k), scale_model(legs.r, k),
                scale_model(legs.s, k), legs.cross_dc_ms * k)


@dataclass(frozen=True)
class SimVisibility:
    """p(consistent read t ms after commit): measured in the simulator vs the PBS model."""

    preset: str
    scale: float
    r: int
    w: int
    trials_per_t: int
    table: Any              # DataFrame: t_ms (preset ms), t_sim_ms, p_sim, p_pbs, diff
    max_abs_diff: float
    tolerance: float
    cluster: Any = field(repr=False, compare=False)


def simulated_t_visibility(seed: int = 1, *, preset: str = "lnkd-disk", scale: float = 10,
                           r: int = 1, w: int = 1, t_ms=(0, 1, 2, 5, 10, 20, 40),
                           trials_per_t: int = 400, pbs_trials: int = 200_000,
                           tolerance: float = 0.06) -> SimVisibility:
    """Measure t-visibility in the simulated cluster and compare it with the PBS Monte Carlo.

    The cluster has 3 nodes and RF = 3; the four PBS legs (Mutation, MutationAck,
    ReadRequest, ReadResponse) get the preset's latency models slowed down ``scale`` times
    (``c.set_leg_latency``), and the client's own messages take 0 ms, so the client learns of
    the commit the instant the coordinator does and its read reaches the coordinator ``t`` ms
    later. Each trial writes a fresh key at W, waits, reads it at R through the same
    coordinator and records whether the read returned the write. As in PBS's WARS model (and
    Dynamo), a read asks every replica and returns the newest of the first R replies: the
    ring's ``read_repair="async"`` mode (its background repairs touch only a key no later trial
    reads). Hints are off and timeouts long, so nothing but the four legs decides.

    Why ``scale``: the simulator rounds every delay *up* to whole milliseconds. LNKD's
    acknowledgement and read legs are sub-millisecond, so unscaled they would all become 1 ms
    (and tie); ten times slower, rounding moves each leg by under a tenth of a preset
    millisecond. The comparison is exact in distribution: slowing every leg ``k`` times
    stretches the t-visibility curve ``k`` times along ``t``, so ``t_ms`` (preset
    milliseconds) is simulated at ``t_ms * scale`` and PBS is evaluated with the same scaled
    legs. Binomial noise of ``trials_per_t`` trials is ``sqrt(p(1-p)/trials)`` (at most 0.025
    at 400); ``tolerance`` (absolute, on p) covers it and the rounding.

    Returns:
        :class:`SimVisibility` with ``table`` (``t_ms``, ``t_sim_ms``, ``p_sim``, ``p_pbs``,
        ``diff``).
    """
    import pandas as pd
    if preset.lower() not in PRESETS:
        from ..errors import UnknownNameError
        raise UnknownNameError("latency preset", preset, list(PRESETS))
    legs = scale_legs(PRESETS[preset.lower()], scale)
    c = Cluster(mode="ap", nodes=3, seed=seed, replication_factor=3, hinted_handoff=False,
                read_repair="async", request_timeout_ms=600_000, coordinator_timeout_ms=1_200_000,
                failure_detector="timeout", failure_timeout_ms=6_000_000,
                gossip_interval_ms=1_000_000, op_timeout_ms=2_400_000)   # nobody is convicted
    c.set_leg_latency(w=legs.w, a=legs.a, r=legs.r, s=legs.s)
    for kind in ("ClientPut", "ClientGet", "ClientReply"):
        c.network.set_latency(Constant(0), kind=kind)
    client = c.client("alice", near="n1")
    sim_t = [int(round(t * scale)) for t in t_ms]
    seen = dict.fromkeys(sim_t, 0)
    trial = 0
    for _ in range(trials_per_t):
        for t in sim_t:
            trial += 1
            key = f"t{trial}"
            client.put(key, trial, consistency=w)
            if t:
                c.run_for(t)
            seen[t] += client.get(key, consistency=r).value == trial
    pbs = t_visibility(3, r, w, latency=legs, trials=pbs_trials, seed=seed, t_ms=sim_t)
    table = pd.DataFrame({"t_ms": [float(t) for t in t_ms], "t_sim_ms": sim_t,
                          "p_sim": [seen[t] / trials_per_t for t in sim_t],
                          "p_pbs": [round(float(p), 4) for p in pbs["p_consistent"]]})
    table["diff"] = (table["p_sim"] - table["p_pbs"]).round(4)
    return SimVisibility(preset, scale, r, w, trials_per_t, table,
                         float(table["diff"].abs().max()), tolerance, c)
