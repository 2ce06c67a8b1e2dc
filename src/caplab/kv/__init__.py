"""The replicated key-value store: the Cluster facade, clients, and the two modes."""

from .client import Client, OpHandle, Result
from .cluster import MODES, Cluster
from .workload import Workload

__all__ = ["Cluster", "Client", "OpHandle", "Result", "Workload", "MODES"]
