"""Simulation kernel: simulated clock, ordered event queue, named random streams, trace."""

from .kernel import Simulation, Timer
from .rng import Streams, derive_seed, stable_hash
from .trace import Trace, TraceEvent

__all__ = ["Simulation", "Timer", "Streams", "derive_seed", "stable_hash", "Trace", "TraceEvent"]
