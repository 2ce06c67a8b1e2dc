"""caplab: an in-process, deterministic lab for replication, partitions and consistency.

The public face is small; everything else lives in its layer's package::

    from caplab import Cluster, Workload
    c = Cluster(mode="ap", nodes=5, seed=1)

Layers (each imports only those below it): ``sim`` (kernel) <- ``net`` (network, faults) <-
``kv`` (the store, CP and AP modes) <- ``history``/``check`` (histories and checkers) <-
``frames`` (DataFrames) <- ``viz`` (figures) <- ``widgets`` (panels).
"""

from .errors import CaplabError, ConfigError, HistoryError, SimulationError, UnknownNameError
from .kv import Cluster, Result, Workload
from .net import Nemesis
from .sim import Simulation

__version__ = "0.1.0"

__all__ = ["Cluster", "Result", "Workload", "Nemesis", "Simulation", "CaplabError",
           "ConfigError", "UnknownNameError", "SimulationError", "HistoryError", "__version__"]
