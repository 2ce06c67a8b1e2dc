"""caplab: an in-process, deterministic lab for replication, partitions and consistency."""

from .errors import CaplabError, ConfigError, HistoryError, SimulationError, UnknownNameError
from .sim import Simulation

__version__ = "0.1.0"

__all__ = ["Simulation", "CaplabError", "ConfigError", "UnknownNameError", "SimulationError",
           "HistoryError", "__version__"]
