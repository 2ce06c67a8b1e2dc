"""PBS-style t-visibility: how likely a partial-quorum read, started ``t`` ms after a write
committed, is to return that write, estimated by Monte Carlo over the WARS latency model.

This follows Bailis et al., "Probabilistically Bounded Staleness for Practical Partial Quorums"
(VLDB 2012), section 5 ("WARS"). A Dynamo-style coordinator sends a write to all ``N``
replicas and reports it committed when the ``W``-th acknowledgement arrives; a read goes to all
``N`` replicas and the coordinator answers with the first ``R`` responses. Each message leg has
its own latency distribution:

* ``W``: write request, coordinator -> replica ``i`` (the write lands on replica ``i`` at ``W_i``);
* ``A``: write acknowledgement, replica -> coordinator;
* ``R``: read request, coordinator -> replica;
* ``S``: read response, replica -> coordinator.

Per trial, with times measured from the start of the write::

    commit   = W-th smallest of (W_i + A_i)
    replica i answers the read with the new value  iff  W_i <= commit + t + R_i
    the read returns the first R replicas by (R_i + S_i)   (independent of t)

so the read is consistent iff ``t >= min over those R replicas of (W_i - R_i - commit)``. That
minimum is this trial's *visibility time*; ``p(t)`` is its empirical CDF, so one batch of samples
gives the whole curve (PBS's simulator re-samples per ``t``; the estimate is the same).
The value can be negative: the read would have been consistent even if started before commit.
When ``R + W > N`` the read set meets the ``W`` acknowledged replicas, each of which holds the
write by commit time (``W_i <= commit - A_i``), so ``p(0) = 1``: strict quorums are always
consistent (PBS, section 2).

Units and rounding: everything here is float milliseconds, as in PBS. The event-driven network
in :mod:`caplab.net` rounds each delay *up* to whole milliseconds, so a simulated cluster can
differ from these curves by up to about a millisecond per leg (noticeable only for LNKD-SSD,
whose legs are sub-millisecond). Only one write is modelled (no later writes overwrite it), and
the read coordinator's clock is the write coordinator's (no skew), as in PBS.

The presets are the production fits PBS publishes (Table 3), plus its WAN scenario (section 5.4).
Checked against the paper's 99.9% t-visibility for N=3 (figures as recalled, 10^6 trials here):
R=W=1 gives about 1.98 ms (paper 1.85), 50 ms (45.5), 1470 ms (1364) and 115 ms (113.0) for
LNKD-SSD, LNKD-DISK, YMMR and WAN; YMMR with R=2, W=1 gives about 218 ms (202). The chance of a
consistent read at commit is within 0.6 points of the paper for all four presets (R=W=1). WAN
follows the authors' released simulator: +75 ms on each cross-datacenter leg.

Example::

    >>> from caplab.analyses.staleness import t_visibility, t_at_probability
    >>> curve = t_visibility(3, 1, 1, latency="lnkd-disk", trials=20_000, seed=1)
    >>> round(t_at_probability(0.999, 3, 1, 1, latency="lnkd-ssd", seed=1), 1)  # doctest: +SKIP
    1.9
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..errors import ConfigError, UnknownNameError, check_probability
from ..net.latency import Exponential, LatencyModel, Mixture, Pareto

__all__ = ["Legs", "PRESETS", "MAX_TRIALS", "visibility_times_ms", "t_visibility",
           "t_at_probability", "consistent_immediately"]

#: Upper bound on ``trials``: each trial holds ~8 float arrays of length N (memory, not theory).
MAX_TRIALS = 10_000_000


@dataclass(frozen=True)
class Legs:
    """The four WARS latency distributions, one per message leg, plus an optional WAN hop.

    Args:
        w: write request, coordinator -> replica.
        a: write acknowledgement, replica -> coordinator.
        r: read request, coordinator -> replica.
        s: read response, replica -> coordinator.
        cross_dc_ms: if > 0, every replica lives in its own datacenter, the write and the read
            coordinators each sit in one chosen uniformly at random (independently), and every
            message between two different datacenters takes ``cross_dc_ms`` longer (PBS 5.4).

    Raises:
        ConfigError: a leg that is not a LatencyModel, or a negative/non-finite ``cross_dc_ms``.

    Example::

        >>> from caplab.net.latency import Exponential
        >>> legs = Legs(w=Exponential(0.5), a=Exponential(1), r=Exponential(1), s=Exponential(1))
    """
    w: LatencyModel
    a: LatencyModel
    r: LatencyModel
    s: LatencyModel
    cross_dc_ms: float = 0.0

    def __post_init__(self):
        for leg in "wars":
            model = getattr(self, leg)
            if not isinstance(model, LatencyModel):
                raise ConfigError(f"leg {leg!r} must be a LatencyModel (e.g. Exponential(1.0)), "
                                  f"got {model!r}")
        try:
            cross = float(self.cross_dc_ms)
        except (TypeError, ValueError):
            cross = math.nan
        if not math.isfinite(cross) or cross < 0:
            raise ConfigError(f"cross_dc_ms must be a finite number >= 0, got "
                              f"{self.cross_dc_ms!r}")
        object.__setattr__(self, "cross_dc_ms", cross)


def _mix(*parts) -> Mixture:
    return Mixture(list(parts))


# PBS Table 3 fits (ms; Pareto(x_m, alpha), Exp(lambda per ms)).
# LinkedIn Voldemort on SSDs: the same fit for all four legs.
_LNKD_SSD = _mix((0.9122, Pareto(0.235, 10)), (0.0878, Exponential(1.66)))
# LinkedIn Voldemort on spinning disks: only the write leg (W) hits the disk.
_LNKD_DISK_W = _mix((0.38, Pareto(1.05, 1.51)), (0.62, Exponential(0.183)))
# Yammer Riak. The paper's table gives alpha = 3.35 for the write leg; the authors' released
# simulator uses 3.5. We follow the paper.
_YMMR_W = _mix((0.939, Pareto(3, 3.35)), (0.061, Exponential(0.0028)))
_YMMR_ARS = _mix((0.982, Pareto(1.5, 3.8)), (0.018, Exponential(0.0217)))

#: Named latency presets, keys lower-case. ``"wan"`` is LNKD-DISK with 75 ms between datacenters.
PRESETS: Mapping[str, Legs] = MappingProxyType({
    "lnkd-ssd": Legs(_LNKD_SSD, _LNKD_SSD, _LNKD_SSD, _LNKD_SSD),
    "lnkd-disk": Legs(_LNKD_DISK_W, _LNKD_SSD, _LNKD_SSD, _LNKD_SSD),
    "ymmr": Legs(_YMMR_W, _YMMR_ARS, _YMMR_ARS, _YMMR_ARS),
    "wan": Legs(_LNKD_DISK_W, _LNKD_SSD, _LNKD_SSD, _LNKD_SSD, cross_dc_ms=75.0),
})


def _resolve_legs(latency) -> Legs:
    if isinstance(latency, Legs):
        return latency
    if isinstance(latency, str):
        key = latency.strip().lower()
        if key not in PRESETS:
            raise UnknownNameError("latency preset", latency, list(PRESETS))
        return PRESETS[key]
    if isinstance(latency, LatencyModel):
        return Legs(latency, latency, latency, latency)
    if isinstance(latency, Mapping):
        allowed = [f.name for f in fields(Legs)]
        extra = sorted(str(k) for k in latency if k not in allowed)
        missing = [leg for leg in "wars" if leg not in latency]
        if extra or missing:
            raise ConfigError(f"latency dict needs keys 'w', 'a', 'r', 's' (optional "
                              f"'cross_dc_ms'); missing {missing}, unexpected {extra}")
        return Legs(**latency)
    raise ConfigError(f"latency must be a preset name ({', '.join(map(repr, PRESETS))}), a "
                      f"LatencyModel, a Legs, or a dict with keys w, a, r, s; got {latency!r}")


def _check_int(name: str, value, low: int, high: int, hint: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be a whole number in [{low}, {high}], got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name}={value!r} is out of range; choose {low} <= {name} <= {high}"
                          f"{hint}")
    return int(value)


def _validate(n, r, w, trials, seed) -> tuple[int, int, int, int, int]:
    n = _check_int("n", n, 1, 1_000)
    # Messages as in errors.py: "write quorum W=4 exceeds replication factor N=3; ...".
    r = _check_int("r", r, 1, n, f" (read quorum R cannot exceed replication factor N={n})")
    w = _check_int("w", w, 1, n, f" (write quorum W cannot exceed replication factor N={n})")
    trials = _check_int("trials", trials, 1, MAX_TRIALS)
    seed = _check_int("seed", seed, 0, 2**63 - 1)
    return n, r, w, trials, seed


def visibility_times_ms(n: int = 3, r: int = 1, w: int = 1, *, latency="lnkd-ssd",
                        trials: int = 100_000, seed: int = 0) -> np.ndarray:
    """Per trial, the smallest ``t`` (ms after commit) at which a read would be consistent.

    The building block of the other functions: ``p(t) = mean(times <= t)``. Sample once, then
    evaluate at as many ``t`` as a slider needs.

    Args:
        n: replication factor N (1 <= n <= 1000).
        r: read quorum R, 1 <= r <= n.
        w: write quorum W, 1 <= w <= n.
        latency: preset name (see ``PRESETS``; case-insensitive), one LatencyModel for all four
            legs, a ``Legs``, or a dict with keys ``w``, ``a``, ``r``, ``s``.
        trials: number of Monte Carlo trials, 1 <= trials <= MAX_TRIALS.
        seed: seed for ``numpy.random.default_rng``; the same seed gives the same array.

    Returns:
        A float array of length ``trials``, unsorted; values <= 0 mean consistent at commit.

    Raises:
        ConfigError: bad n, r, w, trials, seed or latency. UnknownNameError: unknown preset.

    Example::

        >>> times = visibility_times_ms(3, 1, 1, latency="lnkd-disk", trials=10_000, seed=7)
        >>> float((times <= 10.0).mean())  # doctest: +SKIP
        0.8...
    """
    n, r, w, trials, seed = _validate(n, r, w, trials, seed)
    legs = _resolve_legs(latency)
    gen = np.random.default_rng(seed)
    size = trials * n
    # Fixed draw order (W, A, R, S, then datacenters) so a seed always means the same samples.
    W = legs.w.sample_array(gen, size).reshape(trials, n)
    A = legs.a.sample_array(gen, size).reshape(trials, n)
    R = legs.r.sample_array(gen, size).reshape(trials, n)
    S = legs.s.sample_array(gen, size).reshape(trials, n)
    if legs.cross_dc_ms > 0:
        # PBS 5.4 (WAN): one replica per datacenter; each coordinator in a random datacenter.
        # Both directions of a leg cross the WAN unless the replica shares the coordinator's DC.
        replica = np.arange(n)
        remote_w = (replica != gen.integers(0, n, trials)[:, None]) * legs.cross_dc_ms
        remote_r = (replica != gen.integers(0, n, trials)[:, None]) * legs.cross_dc_ms
        W, A = W + remote_w, A + remote_w
        R, S = R + remote_r, S + remote_r
    # Dynamo: the write commits when the W-th acknowledgement reaches the coordinator.
    commit = np.partition(W + A, w - 1, axis=1)[:, w - 1]
    # Replica i has the write when the read request reaches it iff W_i <= commit + t + R_i.
    threshold = W - R - commit[:, None]
    # The coordinator returns the first R responses; which ones does not depend on t.
    if r == n:
        chosen = threshold
    else:
        first = np.argpartition(R + S, r - 1, axis=1)[:, :r]
        chosen = np.take_along_axis(threshold, first, axis=1)
    # Consistent if any of the R responders has the write (the newest version wins).
    return chosen.min(axis=1)


def _t_grid(t_ms) -> np.ndarray:
    try:
        if isinstance(t_ms, (str, bytes)):
            raise TypeError
        if isinstance(t_ms, Iterable) and not isinstance(t_ms, np.ndarray):
            t_ms = list(t_ms)
        grid = np.atleast_1d(np.asarray(t_ms, dtype=float))
    except (TypeError, ValueError):
        raise ConfigError(f"t_ms must be a number or a list of numbers of ms >= 0, got "
                          f"{t_ms!r}") from None
    if grid.ndim != 1 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ConfigError(f"t_ms must be finite numbers of ms >= 0, got {t_ms!r}")
    return grid


def t_visibility(n: int = 3, r: int = 1, w: int = 1, *, latency="lnkd-ssd",
                 trials: int = 100_000, seed: int = 0, t_ms=None) -> pd.DataFrame:
    """The t-visibility curve: probability that a read started ``t`` ms after commit is consistent.

    Args:
        n, r, w, latency, trials, seed: as in :func:`visibility_times_ms`.
        t_ms: a number or list of ms >= 0 at which to evaluate; by default 201 points from 0 to
            the 99.99th percentile of the visibility time (just ``[0.0]`` if always consistent).

    Returns:
        A DataFrame with float columns ``t_ms`` and ``p_consistent``, in the order of ``t_ms``.
        ``p_consistent`` at ``t_ms=0`` is the probability of a consistent read right at commit;
        it is exactly 1 whenever ``r + w > n``.

    Raises:
        ConfigError: bad arguments (see :func:`visibility_times_ms`) or a negative ``t_ms``.
        UnknownNameError: unknown preset name.

    Example::

        >>> df = t_visibility(3, 1, 1, latency="wan", trials=20_000, seed=1, t_ms=[0, 100, 200])
        >>> list(df.columns)
        ['t_ms', 'p_consistent']
    """
    grid = None if t_ms is None else _t_grid(t_ms)
    times = np.sort(visibility_times_ms(n, r, w, latency=latency, trials=trials, seed=seed))
    if grid is None:
        top = float(np.quantile(times, 0.9999))
        grid = np.linspace(0.0, top, 201) if top > 0 else np.array([0.0])
    p = np.searchsorted(times, grid, side="right") / times.size
    return pd.DataFrame({"t_ms": grid.astype(float), "p_consistent": p.astype(float)})


def t_at_probability(p: float = 0.999, n: int = 3, r: int = 1, w: int = 1, *,
                     latency="lnkd-ssd", trials: int = 100_000, seed: int = 0) -> float:
    """The smallest ``t >= 0`` (ms after commit) at which reads are consistent with probability
    at least ``p``: PBS's "t-visibility for p_st = 1 - p".

    Args:
        p: target probability of a consistent read, in [0, 1].
        n, r, w, latency, trials, seed: as in :func:`visibility_times_ms`.

    Returns:
        A float in ms; 0.0 if reads are already that consistent at commit. With few trials
        the estimate of a tail quantile (p near 1) is noisy: use >= 100 / (1 - p) trials.

    Raises:
        ConfigError: ``p`` outside [0, 1], or bad arguments as in :func:`visibility_times_ms`.
        UnknownNameError: unknown preset name.

    Example::

        >>> t_at_probability(0.999, 3, 1, 1, latency="lnkd-disk", seed=1)  # doctest: +SKIP
        45.1...
    """
    p = check_probability("p", p)
    times = np.sort(visibility_times_ms(n, r, w, latency=latency, trials=trials, seed=seed))
    # Empirical quantile: the k-th smallest sample with k/trials >= p (tolerance for p*trials
    # landing a hair above an integer in floating point, e.g. 0.999 * 100_000).
    k = max(1, math.ceil(p * times.size - 1e-9))
    return max(0.0, float(times[k - 1]))


def consistent_immediately(n: int = 3, r: int = 1, w: int = 1, *, latency="lnkd-ssd",
                           trials: int = 100_000, seed: int = 0) -> float:
    """Probability that a read started the instant the write commits returns it (``p(0)``).

    Exactly 1.0 whenever ``r + w > n`` (read and write quorums intersect).

    Args:
        n, r, w, latency, trials, seed: as in :func:`visibility_times_ms`.

    Returns:
        A float in [0, 1].

    Raises:
        ConfigError, UnknownNameError: as in :func:`visibility_times_ms`.

    Example::

        >>> consistent_immediately(3, 2, 2, latency="ymmr", trials=1_000)
        1.0
    """
    times = visibility_times_ms(n, r, w, latency=latency, trials=trials, seed=seed)
    return float(np.count_nonzero(times <= 0.0) / times.size)
