"""Latency models: sample statistics within tolerance, mixtures, specs and bad input."""

import math
import random

import numpy as np
import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.net import Constant, Exponential, Mixture, Pareto, Uniform, latency_model

N = 40_000


def _mean(model, seed=1):
    rng = random.Random(seed)
    return sum(model.sample(rng) for _ in range(N)) / N


@pytest.mark.parametrize("model", [Constant(3), Uniform(2, 8), Exponential(0.5), Pareto(1.0, 3.0),
                                   Mixture([(0.9122, Pareto(0.235, 10)), (0.0878, Exponential(1.66))]),
                                   Exponential(1.66) + 75])
def test_sample_mean_matches_the_analytic_mean(model):
    """The empirical mean is within 3% of the model's mean (scalar and numpy samplers)."""
    assert _mean(model) == pytest.approx(model.mean_ms, rel=0.03)
    arr = model.sample_array(np.random.default_rng(1), N)
    assert float(arr.mean()) == pytest.approx(model.mean_ms, rel=0.03)


def test_pareto_never_below_its_scale_and_has_the_right_tail():
    """Pareto(xm, a): every sample >= xm and P(X > 2 xm) = 2^-a."""
    rng = random.Random(3)
    xs = [Pareto(2.0, 1.5).sample(rng) for _ in range(N)]
    assert min(xs) >= 2.0
    tail = sum(x > 4.0 for x in xs) / N
    assert tail == pytest.approx(2 ** -1.5, abs=0.01)


def test_mixture_weights_are_normalised_and_respected():
    """A 25/75 mixture of constants draws each about as often as weighted."""
    m = Mixture([(1, Constant(0)), (3, Constant(10))])
    rng = random.Random(5)
    share = sum(m.sample(rng) == 10 for _ in range(N)) / N
    assert share == pytest.approx(0.75, abs=0.01)
    assert m.mean_ms == pytest.approx(7.5)


def test_latency_model_specs():
    """Numbers and tuples turn into models; unknown names are refused with the allowed list."""
    assert latency_model(4) == Constant(4)
    assert latency_model(("uniform", 1, 5)) == Uniform(1, 5)
    with pytest.raises(UnknownNameError, match="'gauss'.*allowed.*'constant'"):
        latency_model(("gauss", 1))
    with pytest.raises(ConfigError, match="low_ms <= high_ms"):
        Uniform(5, 1)
    with pytest.raises(ConfigError, match="rate_per_ms"):
        Exponential(0)
    with pytest.raises(ConfigError, match="-1"):
        Constant(-1)
    assert math.isinf(Pareto(1, 1).mean_ms)
