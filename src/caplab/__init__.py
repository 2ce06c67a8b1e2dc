"""caplab: an in-process, deterministic lab for replication, partitions and consistency.

The public face is small; everything else lives in its layer's package::

    from caplab import Cluster, Workload
    c = Cluster(mode="ap", nodes=5, seed=1)

Layers (each imports only those below it; ``tests/test_layers.py`` enforces it): ``history``
(operation records) <- ``sim`` (kernel) <- ``net`` (network, faults) <- ``world`` (the world
every system stands on) <- systems (``kv``: CP, AP and CA modes) <- ``check`` (checkers) <-
``analyses`` <- ``frames`` (DataFrames) <- ``viz`` (figures) <- ``widgets`` (panels) <-
``course`` <- ``labkit``. ``docs/architecture.md`` is the map.
"""

from .errors import CaplabError, ConfigError, HistoryError, SimulationError, UnknownNameError
from .kv import Cluster, Result, Workload
from .net import Nemesis
from .sim import Simulation
from .world import World

__version__ = "0.1.0"

__all__ = ["Cluster", "Result", "Workload", "Nemesis", "Simulation", "World", "CaplabError",
           "ConfigError", "UnknownNameError", "SimulationError", "HistoryError", "__version__"]
