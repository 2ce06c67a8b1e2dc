"""The simulator agrees with queueing theory: M/M/c through a balancer (Erlang C), a balancer in
front of separate queues is not M/M/c, one fast server against two slow ones, and the Universal
Scalability Law's peak when replicas share one database.

M/M/1 and M/M/2 on a single service are checked in tests/net/test_service.py; here the same
formulas (caplab.services.theory) are checked through the load balancer and replicas."""

import numpy as np
import pytest

from caplab.services.theory import (balanced_response_ms, erlang_c, fit_usl, mmc_response_ms,
                                    usl_capacity, usl_peak, usl_throughput)

MEAN = 100          # ms of service, exponential
N = 20_000


def test_erlang_c_known_values():
    """Erlang C: C(1, a) = a (M/M/1 waits with probability rho); C(2, 1) = 1/3."""
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mmc_response_ms(4, 0.02, MEAN) == pytest.approx(108.7, abs=0.1)


@pytest.mark.parametrize("c", [1, 2, 4])
def test_a_balancer_holding_its_own_queue_is_m_m_c(c):
    """HAProxy maxconn 1 in front of c single-worker replicas: one queue, c servers, so the
    mean response time is Erlang C's (Kleinrock vol. 1; Harchol-Balter ch. 14) within 5%,
    like one instance with c workers."""
    rate = 0.5 * c / MEAN                        # rho = 0.5
    expected = mmc_response_ms(c, rate, MEAN)
    held = balanced_response_ms(c, rate_per_ms=rate, mean_service_ms=MEAN, max_connections=1,
                                count=N, seed=c)
    assert held == pytest.approx(expected, rel=0.05)
    if c == 4:                                   # c = 1, 2 on one service: tests/net
        one = balanced_response_ms(c, rate_per_ms=rate, mean_service_ms=MEAN,
                                   shared_queue=True, count=N, seed=10 + c)
        assert one == pytest.approx(expected, rel=0.05)


def test_routing_at_once_to_separate_queues_is_not_m_m_c():
    """Four replicas at rho = 0.5: random routing is four independent M/M/1 queues (200 ms);
    round robin is better, least connections better still and close to M/M/c (108.7 ms) but
    above it (Harchol-Balter ch. 24, 'task assignment': JSQ is near-optimal, not M/M/c)."""
    c, rate = 4, 0.02
    run = {p: balanced_response_ms(c, rate_per_ms=rate, mean_service_ms=MEAN, policy=p,
                                   count=N, seed=7) for p in ("random", "round_robin",
                                                              "least_connections")}
    mmc = mmc_response_ms(c, rate, MEAN)
    assert run["random"] == pytest.approx(mmc_response_ms(1, rate / c, MEAN), rel=0.07)
    assert mmc < run["least_connections"] < run["round_robin"] < run["random"]
    assert run["least_connections"] < 1.15 * mmc


@pytest.mark.parametrize("rho", [0.25, 0.5, 0.8])
def test_one_fast_server_beats_two_slow_ones_by_2_over_1_plus_rho(rho):
    """Scale-up vs scale-out (SEMANTICS.md; Harchol-Balter ch. 14): one server of rate 2mu
    against two of rate mu sharing a queue, T(M/M/2) / T(M/M/1 at 2mu) = 2 / (1 + rho): 1.6
    at rho = 0.25, 1.33 at 0.5, 1.11 at 0.8 -- the fast server always wins, by less and less.
    Both runs share one seed (common random numbers: the same arrivals, and service draws
    that differ only by the factor 2), so the ratio is sharp even at high load."""
    rate = rho * 2 / MEAN
    fast = balanced_response_ms(1, rate_per_ms=rate, mean_service_ms=MEAN / 2, count=N, seed=21)
    pair = balanced_response_ms(2, rate_per_ms=rate, mean_service_ms=MEAN, shared_queue=True,
                                count=N, seed=21)
    assert pair / fast == pytest.approx(2 / (1 + rho), rel=0.06)


def test_fit_usl_recovers_known_coefficients_like_numpy_least_squares():
    """The normal equations give numpy.linalg.lstsq's answer on the linearised USL."""
    pts = [(n, 50 * usl_capacity(n, 0.1, 0.02) * (1 + 0.01 * (-1) ** n))
           for n in (1, 2, 3, 5, 8, 13)]
    alpha, beta = fit_usl(pts)
    x = np.array([[n - 1, n * (n - 1)] for n, _ in pts[1:]], dtype=float)
    y = np.array([n / (v / pts[0][1]) - 1 for n, v in pts[1:]])
    assert np.allclose((alpha, beta), np.linalg.lstsq(x, y, rcond=None)[0])
    assert usl_peak(0.1, 0.02) == pytest.approx(np.sqrt(0.9 / 0.02))


def test_replicas_sharing_one_database_follow_the_usl():
    """Gunther's USL: with a serialised database step (contention) whose cost grows with the
    number of replicas (coherency), throughput rises, peaks, then falls as replicas are added;
    the least-squares alpha, beta put the peak sqrt((1 - alpha) / beta) at the simulated one."""
    ns = (1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 32)
    points = [(n, usl_throughput(n, duration_ms=20_000, seed=n)) for n in ns]
    best_n, best_x = max(points, key=lambda p: p[1])
    assert 6 <= best_n <= 16
    assert points[-1][1] < 0.7 * best_x           # well past the peak it has fallen
    assert points[1][1] > 1.8 * points[0][1]       # at first, nearly linear
    alpha, beta = fit_usl(points)
    assert beta > 0
    assert usl_peak(alpha, beta) == pytest.approx(best_n, rel=0.3)
    base = points[0][1]
    for n, x in points:                            # the fitted curve follows the points
        assert usl_capacity(n, alpha, beta) * base == pytest.approx(x, rel=0.2)
