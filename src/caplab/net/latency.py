"""Latency models: constant, uniform, exponential, Pareto, and weighted mixtures of them.

Enough to reproduce published latency fits such as those of PBS (Bailis et al., VLDB 2012),
whose legs are mixtures like ``91.22% Pareto(x_m=0.235, alpha=10) + 8.78% Exp(lambda=1.66)``
(milliseconds; ``lambda`` per millisecond, so the exponential's mean is ``1/lambda`` ms).

Every model samples a float number of milliseconds with :meth:`sample` from a ``random.Random``
stream, and many at once with :meth:`sample_array` from a ``numpy.random.Generator`` (the
Monte Carlo staleness analysis uses that). The network rounds samples up to whole milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigError, UnknownNameError

__all__ = ["LatencyModel", "Constant", "Uniform", "Exponential", "Pareto", "Mixture",
           "latency_model"]


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if v != v or math.isinf(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{name} must be a finite number {bound}, got {value!r}")
    return v


class LatencyModel:
    """Base class: a distribution of one-way message delay in milliseconds."""

    def sample(self, rng) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample_array(self, gen, size):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def mean_ms(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __add__(self, other: float) -> "Shifted":
        """``model + 75`` adds a constant delay (a WAN hop) to every sample."""
        return Shifted(self, _positive("shift_ms", other, allow_zero=True))


@dataclass(frozen=True)
class Constant(LatencyModel):
    """Always ``ms`` milliseconds."""
    ms: float

    def __post_init__(self):
        object.__setattr__(self, "ms", _positive("Constant ms", self.ms, allow_zero=True))

    def sample(self, rng) -> float:
        return self.ms

    def sample_array(self, gen, size):
        import numpy as np
        return np.full(size, self.ms, dtype=float)

    @property
    def mean_ms(self) -> float:
        return self.ms


@dataclass(frozen=True)
class Uniform(LatencyModel):
    """Uniform between ``low_ms`` and ``high_ms``."""
    low_ms: float
    high_ms: float

    def __post_init__(self):
        low = _positive("Uniform low_ms", self.low_ms, allow_zero=True)
        high = _positive("Uniform high_ms", self.high_ms, allow_zero=True)
        if high < low:
            raise ConfigError(f"Uniform needs low_ms <= high_ms, got low_ms={self.low_ms!r}, "
                              f"high_ms={self.high_ms!r}")
        object.__setattr__(self, "low_ms", low)
        object.__setattr__(self, "high_ms", high)

    def sample(self, rng) -> float:
        return rng.uniform(self.low_ms, self.high_ms)

    def sample_array(self, gen, size):
        return gen.uniform(self.low_ms, self.high_ms, size)

    @property
    def mean_ms(self) -> float:
        return (self.low_ms + self.high_ms) / 2


@dataclass(frozen=True)
class Exponential(LatencyModel):
    """Exponential with rate ``rate_per_ms`` (lambda): mean ``1 / rate_per_ms`` ms."""
    rate_per_ms: float

    def __post_init__(self):
        object.__setattr__(self, "rate_per_ms", _positive("Exponential rate_per_ms",
                                                          self.rate_per_ms))

    def sample(self, rng) -> float:
        return rng.expovariate(self.rate_per_ms)

    def sample_array(self, gen, size):
        return gen.exponential(1.0 / self.rate_per_ms, size)

    @property
    def mean_ms(self) -> float:
        return 1.0 / self.rate_per_ms


@dataclass(frozen=True)
class Pareto(LatencyModel):
    """Pareto with scale ``xm_ms`` (the minimum) and shape ``alpha``: heavy-tailed."""
    xm_ms: float
    alpha: float

    def __post_init__(self):
        object.__setattr__(self, "xm_ms", _positive("Pareto xm_ms", self.xm_ms))
        object.__setattr__(self, "alpha", _positive("Pareto alpha", self.alpha))

    def sample(self, rng) -> float:
        # Inverse transform: x_m / U^(1/alpha), U in (0, 1].
        return self.xm_ms / (1.0 - rng.random()) ** (1.0 / self.alpha)

    def sample_array(self, gen, size):
        return self.xm_ms / (1.0 - gen.random(size)) ** (1.0 / self.alpha)

    @property
    def mean_ms(self) -> float:
        return math.inf if self.alpha <= 1 else self.alpha * self.xm_ms / (self.alpha - 1)


@dataclass(frozen=True)
class Shifted(LatencyModel):
    """``base`` plus a constant ``shift_ms`` (e.g. a 75 ms WAN hop)."""
    base: LatencyModel
    shift_ms: float

    def sample(self, rng) -> float:
        return self.base.sample(rng) + self.shift_ms

    def sample_array(self, gen, size):
        return self.base.sample_array(gen, size) + self.shift_ms

    @property
    def mean_ms(self) -> float:
        return self.base.mean_ms + self.shift_ms


@dataclass(frozen=True)
class Mixture(LatencyModel):
    """A weighted mixture: ``Mixture([(0.9122, Pareto(0.235, 10)), (0.0878, Exponential(1.66))])``.

    Weights must be positive; they are normalised to sum to 1.
    """
    components: tuple

    def __post_init__(self):
        comps = tuple(self.components)
        if not comps:
            raise ConfigError("Mixture needs at least one (weight, model) component")
        cleaned = []
        for item in comps:
            try:
                weight, model = item
            except (TypeError, ValueError):
                raise ConfigError(f"Mixture components are (weight, model) pairs, got {item!r}") \
                    from None
            if not isinstance(model, LatencyModel):
                raise ConfigError(f"Mixture component model must be a LatencyModel, got {model!r}")
            cleaned.append((_positive("Mixture weight", weight), model))
        total = sum(w for w, _ in cleaned)
        object.__setattr__(self, "components", tuple((w / total, m) for w, m in cleaned))

    def sample(self, rng) -> float:
        u = rng.random()
        acc = 0.0
        for weight, model in self.components:
            acc += weight
            if u < acc:
                return model.sample(rng)
        return self.components[-1][1].sample(rng)

    def sample_array(self, gen, size):
        import numpy as np
        weights = np.array([w for w, _ in self.components])
        choice = gen.choice(len(self.components), size=size, p=weights / weights.sum())
        out = np.empty(size, dtype=float)
        for i, (_, model) in enumerate(self.components):
            mask = choice == i
            n = int(mask.sum())
            if n:
                out[mask] = model.sample_array(gen, n)
        return out

    @property
    def mean_ms(self) -> float:
        return sum(w * m.mean_ms for w, m in self.components)


_KINDS = {"constant": Constant, "uniform": Uniform, "exponential": Exponential,
          "pareto": Pareto}


def latency_model(spec) -> LatencyModel:
    """Turn a spec into a model: a model, a number (constant ms), or ``("uniform", 1, 5)``."""
    if isinstance(spec, LatencyModel):
        return spec
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return Constant(spec)
    if isinstance(spec, (tuple, list)) and spec and isinstance(spec[0], str):
        kind = spec[0].lower()
        if kind not in _KINDS:
            raise UnknownNameError("latency model", spec[0], sorted(_KINDS) + ["mixture"])
        try:
            return _KINDS[kind](*spec[1:])
        except TypeError as exc:
            raise ConfigError(f"bad parameters for latency model {spec!r}: {exc}") from None
    if isinstance(spec, str):
        raise UnknownNameError("latency model", spec, sorted(_KINDS))
    raise ConfigError(f"cannot make a latency model from {spec!r}; give a LatencyModel, a "
                      f"number of ms, or a tuple like ('uniform', 1, 5)")
