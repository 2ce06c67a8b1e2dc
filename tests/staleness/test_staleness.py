"""Tests for caplab.analyses.staleness: PBS t-visibility by Monte Carlo over the WARS model."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caplab.errors import ConfigError, UnknownNameError
from caplab.net.latency import Constant, Exponential, Pareto, Uniform
from caplab.analyses.staleness import (MAX_TRIALS, PRESETS, Legs, consistent_immediately,
                                       t_at_probability, t_visibility, visibility_times_ms)

SEED = 2012
BIG = 1_000_000  # enough trials that the 99.9th percentile rests on ~1,000 stale reads

# --------------------------------------------------------------------------------------------
# Published results: Bailis et al., "Probabilistically Bounded Staleness for Practical Partial
# Quorums", VLDB 2012: t-visibility for 99.9% consistent reads, in ms, N=3. Figures as recalled
# by the lead (issue 11); a copy of the paper could not be retrieved here to re-check them.
# (n, r, w, preset) -> ms. The WAN figure is 113.0 ms; an earlier version of this file expected
# 202 ms for WAN, which is the paper's YMMR figure for R=2, W=1 (our model gives ~218 ms there).
PUBLISHED_T_999_MS = {
    (3, 1, 1, "lnkd-ssd"): 1.85,
    (3, 1, 1, "lnkd-disk"): 45.5,
    (3, 1, 1, "ymmr"): 1364.0,
    (3, 1, 1, "wan"): 113.0,
    (3, 2, 1, "ymmr"): 202.0,
}
# Wide enough for the Monte Carlo noise of a heavy-tailed 99.9th percentile (PBS used 100,000
# trials; ~100 exceedances gives roughly +-10% on a Pareto(alpha=1.5) quantile), narrow enough
# to catch a wrong model (e.g. swapping legs, or reading the R slowest instead of the fastest,
# moves these by 2x or more).
T_TOLERANCE = 0.20
# WAN is one fixed 75 ms hop plus a LNKD-DISK tail, so its 99.9% point is far less noisy: 10%
# (~11 ms) still catches a missing or doubled hop (-75 / +75 ms).
T_TOLERANCE_WAN = 0.10
# Probability of a consistent read at commit (t = 0), R=W=1. These are the Table 4 values as we
# recall them (97.4%, 43.9%, 89.3%, 33.6%); we could not retrieve a copy of the table to confirm
# them, but all four agree with our model to within 0.6 percentage points.
RECALLED_P0 = {"lnkd-ssd": 0.974, "lnkd-disk": 0.439, "ymmr": 0.893, "wan": 0.336}


@pytest.mark.parametrize("n, r, w, preset", [k for k in PUBLISHED_T_999_MS if k[3] != "wan"])
def test_t_visibility_999_matches_recalled_paper_figures(n, r, w, preset):
    """The 99.9% t-visibility is within 20% of the paper's figure (LNKD-SSD, LNKD-DISK, YMMR)."""
    ours = t_at_probability(0.999, n, r, w, latency=preset, trials=BIG, seed=SEED)
    paper = PUBLISHED_T_999_MS[n, r, w, preset]
    assert abs(ours - paper) <= T_TOLERANCE * paper, f"{preset}: ours {ours:.2f} ms vs {paper}"


def test_wan_t_visibility_999_matches_paper_figure():
    """WAN (N=3, R=W=1) 99.9% t-visibility is within 10% of the paper's 113.0 ms."""
    ours = t_at_probability(0.999, 3, 1, 1, latency="wan", trials=BIG, seed=SEED)
    paper = PUBLISHED_T_999_MS[3, 1, 1, "wan"]
    assert abs(ours - paper) <= T_TOLERANCE_WAN * paper, f"wan: ours {ours:.2f} ms vs {paper}"


def test_wan_t_visibility_999_is_one_wan_hop_plus_disk_tail():
    """WAN at 99.9%: one 75 ms hop plus the LNKD-DISK write-leg tail (~40-50 ms), so 100-135 ms."""
    ours = t_at_probability(0.999, 3, 1, 1, latency="wan", trials=BIG, seed=SEED)
    assert 100.0 <= ours <= 135.0


@pytest.mark.parametrize("preset", sorted(RECALLED_P0))
def test_consistent_immediately_matches_recalled_table4(preset):
    """p(t=0) for R=W=1 is within 1.5 percentage points of Table 4 (as recalled)."""
    ours = consistent_immediately(3, 1, 1, latency=preset, trials=BIG, seed=SEED)
    assert abs(ours - RECALLED_P0[preset]) <= 0.015


# --------------------------------------------------------------------------------------------
# Model checks


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5), data=st.data(),
       latency=st.sampled_from(["lnkd-ssd", "lnkd-disk", "ymmr", "wan", "const", "uniform"]),
       seed=st.integers(0, 2**32))
def test_strict_quorum_is_consistent_at_commit(n, data, latency, seed):
    """R + W > N gives p = 1 at t = 0, for any latency (including ties from constants)."""
    r = data.draw(st.integers(1, n), label="r")
    w = data.draw(st.integers(max(1, n - r + 1), n), label="w")
    model = {"const": Constant(1.0), "uniform": Uniform(0.0, 3.0)}.get(latency, latency)
    assert consistent_immediately(n, r, w, latency=model, trials=300, seed=seed) == 1.0
    df = t_visibility(n, r, w, latency=model, trials=300, seed=seed, t_ms=0)
    assert df["p_consistent"].tolist() == [1.0]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 5), data=st.data(), seed=st.integers(0, 2**32))
def test_larger_quorums_never_hurt(n, data, seed):
    """With the same samples, raising R or W never makes a read less likely to be consistent."""
    r = data.draw(st.integers(1, n - 1), label="r")
    w = data.draw(st.integers(1, n - 1), label="w")
    base = visibility_times_ms(n, r, w, latency="lnkd-disk", trials=500, seed=seed)
    more_r = visibility_times_ms(n, r + 1, w, latency="lnkd-disk", trials=500, seed=seed)
    more_w = visibility_times_ms(n, r, w + 1, latency="lnkd-disk", trials=500, seed=seed)
    assert np.all(more_r <= base) and np.all(more_w <= base)


def _naive_consistent(W, A, R, S, r, w, t):
    """Straight from the WARS description, one trial at one t (PBS section 5.1)."""
    commit = sorted(wi + ai for wi, ai in zip(W, A))[w - 1]
    first = sorted(range(len(W)), key=lambda i: R[i] + S[i])[:r]
    return any(W[i] <= commit + t + R[i] for i in first)


@pytest.mark.parametrize("n,r,w", [(3, 1, 1), (5, 2, 1), (5, 1, 3), (4, 2, 2)])
def test_vectorised_minimum_agrees_with_naive_per_t_check(n, r, w):
    """The per-trial minimum t gives the same verdict as re-checking WARS at each t."""
    trials, seed, legs = 300, 5, PRESETS["lnkd-disk"]
    times = visibility_times_ms(n, r, w, latency=legs, trials=trials, seed=seed)
    gen = np.random.default_rng(seed)  # replay the documented draw order: W, A, R, S
    W, A, R, S = (getattr(legs, leg).sample_array(gen, trials * n).reshape(trials, n)
                  for leg in "wars")
    for t in (0.0, 1.0, 5.0, 20.0, 100.0):
        naive = [_naive_consistent(W[k], A[k], R[k], S[k], r, w, t) for k in range(trials)]
        assert (times <= t).tolist() == naive


def test_known_answer_two_replicas_uniform_write():
    """N=2, R=W=1, W~U(0,10), other legs 0: p(t) = 1 - (10 - t)^2 / 200."""
    legs = Legs(w=Uniform(0, 10), a=Constant(0), r=Constant(0), s=Constant(0))
    df = t_visibility(2, 1, 1, latency=legs, trials=200_000, seed=1, t_ms=[0, 2, 5, 9])
    expected = [1 - (10 - t) ** 2 / 200 for t in (0, 2, 5, 9)]
    assert np.allclose(df["p_consistent"], expected, atol=0.005)


def test_wan_local_leg_gets_no_hop():
    """With zero base latency, only cross-DC messages cost 75 ms: reads right at commit are
    consistent exactly when the read coordinator's own replica already has the write."""
    zero = Constant(0)
    legs = Legs(zero, zero, zero, zero, cross_dc_ms=75)
    times = visibility_times_ms(3, 1, 1, latency=legs, trials=30_000, seed=3)
    # Commit is at 0 (the writer's own replica). The read's first responder is the reader's
    # own replica (0 ms); it has the write iff it is the writer's DC (p = 1/3), else at t = 75.
    assert set(np.unique(times).tolist()) == {0.0, 75.0}
    assert abs(float((times <= 0).mean()) - 1 / 3) < 0.02


def test_curve_shape_and_default_grid():
    """Default curve: starts at t=0, p non-decreasing in t, reaches ~1 at the end."""
    df = t_visibility(3, 1, 1, latency="lnkd-disk", trials=20_000, seed=1)
    assert list(df.columns) == ["t_ms", "p_consistent"]
    assert df["t_ms"].iloc[0] == 0.0 and df["t_ms"].is_monotonic_increasing
    assert df["p_consistent"].is_monotonic_increasing
    assert df["p_consistent"].iloc[-1] >= 0.9999 - 1e-12
    assert df["p_consistent"].iloc[0] == consistent_immediately(
        3, 1, 1, latency="lnkd-disk", trials=20_000, seed=1)


def test_always_consistent_default_grid_is_just_zero():
    """A strict quorum's default curve is the single point (0, 1)."""
    df = t_visibility(3, 2, 2, latency="ymmr", trials=1000, seed=0)
    assert df.to_dict("list") == {"t_ms": [0.0], "p_consistent": [1.0]}


def test_t_at_probability_is_the_curve_inverse():
    """p(t_at_probability(p)) >= p, and slightly earlier t falls short."""
    kw = dict(latency="lnkd-ssd", trials=50_000, seed=4)
    t = t_at_probability(0.99, 3, 1, 1, **kw)
    df = t_visibility(3, 1, 1, t_ms=[t, t * 0.999], **kw)
    assert df["p_consistent"].iloc[0] >= 0.99 > df["p_consistent"].iloc[1]
    assert t_at_probability(0.0, 3, 1, 1, **kw) == 0.0
    assert t_at_probability(0.5, 3, 2, 2, **kw) == 0.0


# --------------------------------------------------------------------------------------------
# Inputs, determinism, errors


def test_latency_forms_are_equivalent():
    """A preset name (any case), its Legs, and a dict of the same legs give identical samples."""
    legs = PRESETS["lnkd-disk"]
    as_dict = {"w": legs.w, "a": legs.a, "r": legs.r, "s": legs.s}
    arrays = [visibility_times_ms(3, 1, 1, latency=x, trials=2000, seed=9)
              for x in ("lnkd-disk", " LNKD-Disk ", legs, as_dict)]
    for other in arrays[1:]:
        assert np.array_equal(arrays[0], other)


def test_single_model_is_used_for_all_four_legs():
    """One LatencyModel means the same distribution on W, A, R and S."""
    model = Exponential(0.5)
    assert np.array_equal(
        visibility_times_ms(3, 1, 1, latency=model, trials=1000, seed=2),
        visibility_times_ms(3, 1, 1, latency=Legs(model, model, model, model), trials=1000,
                            seed=2))


def test_presets_are_the_paper_fits():
    """The four presets exist with the legs the paper publishes."""
    assert sorted(PRESETS) == ["lnkd-disk", "lnkd-ssd", "wan", "ymmr"]
    ssd = PRESETS["lnkd-ssd"]
    assert ssd.w == ssd.a == ssd.r == ssd.s
    assert ssd.w.components[0][1] == Pareto(0.235, 10)
    disk, wan = PRESETS["lnkd-disk"], PRESETS["wan"]
    assert disk.a == disk.r == disk.s == ssd.w and disk.w != ssd.w
    assert (wan.w, wan.a, wan.r, wan.s, wan.cross_dc_ms) == (disk.w, disk.a, disk.r, disk.s, 75.0)
    assert abs(PRESETS["ymmr"].w.mean_ms - (0.939 * 3 * 3.35 / 2.35 + 0.061 / 0.0028)) < 1e-9


def test_same_seed_same_result_different_seed_differs():
    """Deterministic from the seed; a new seed gives new samples."""
    a = visibility_times_ms(3, 1, 1, latency="ymmr", trials=5000, seed=11)
    b = visibility_times_ms(3, 1, 1, latency="ymmr", trials=5000, seed=11)
    c = visibility_times_ms(3, 1, 1, latency="ymmr", trials=5000, seed=12)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_deterministic_across_fresh_processes():
    """The same seed gives the same curve, byte for byte, in fresh interpreters."""
    code = ("from caplab.analyses.staleness import t_visibility;"
            "print(t_visibility(3,1,1,latency='wan',trials=20000,seed=5).to_csv())")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(3)}
    assert len(outs) == 1


def test_unknown_preset_lists_presets():
    """An unknown preset name raises UnknownNameError naming the allowed presets."""
    with pytest.raises(UnknownNameError) as info:
        t_visibility(latency="lnkd-tape")
    message = str(info.value)
    assert "'lnkd-tape'" in message
    for name in PRESETS:
        assert repr(name) in message


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(n=3, r=0, w=1), "1 <= r <= 3"),
    (dict(n=3, r=4, w=1), "1 <= r <= 3"),
    (dict(n=3, r=1, w=4), "w=4"),
    (dict(n=0, r=1, w=1), "n=0"),
    (dict(n=True, r=1, w=1), "n must be a whole number"),
    (dict(n=3, r=1.5, w=1), "r must be a whole number"),
    (dict(trials=0), "trials=0"),
    (dict(trials=MAX_TRIALS + 1), "trials"),
    (dict(seed=-1), "seed=-1"),
    (dict(seed=None), "seed must be a whole number"),
    (dict(latency={"w": Constant(1)}), "missing ['a', 'r', 's']"),
    (dict(latency={"w": Constant(1), "a": 1, "r": Constant(1), "s": Constant(1)}), "leg 'a'"),
    (dict(latency={"w": Constant(1), "a": Constant(1), "r": Constant(1), "s": Constant(1),
                   "x": 1}), "unexpected ['x']"),
    (dict(latency=42), "latency must be a preset name"),
])
def test_bad_arguments_raise_config_error(kwargs, fragment):
    """Bad n, r, w, trials, seed or latency fail with a ConfigError naming the value."""
    with pytest.raises(ConfigError) as info:
        visibility_times_ms(**{"trials": 10, **kwargs})
    assert fragment in str(info.value)


@pytest.mark.parametrize("t_ms", [-1, [0, -0.5], float("nan"), "5", [[1, 2]]])
def test_bad_t_ms_rejected(t_ms):
    """t_ms must be finite numbers of ms >= 0."""
    with pytest.raises(ConfigError, match="t_ms"):
        t_visibility(trials=10, t_ms=t_ms)


@pytest.mark.parametrize("p", [-0.1, 1.5, "high"])
def test_bad_probability_rejected(p):
    """t_at_probability needs p in [0, 1]."""
    with pytest.raises(ConfigError, match="probability"):
        t_at_probability(p, trials=10)


def test_t_ms_accepts_scalars_and_ranges():
    """A scalar, a range or a numpy array of t all work; the order is kept."""
    assert len(t_visibility(trials=100, t_ms=1.5)) == 1
    assert t_visibility(trials=100, t_ms=range(3, 0, -1))["t_ms"].tolist() == [3.0, 2.0, 1.0]
    assert isinstance(t_visibility(trials=100, t_ms=np.arange(4)), pd.DataFrame)
