"""The world every system runs on: simulation, network, faults, time, clients, history.

``World`` is the generic half of every system, written once; ``System`` is the base of every
system facade (the key-value ``Cluster``, and later transactions, buses, services), which
exposes the world's faults, time and clients as its own; ``Description`` is what a system tells
views and panels about itself.
"""

from .client import Client, Driver, OpHandle, Result
from .describe import DEFAULT_ROLES, Description, Option, Role, partition_presets
from .system import System
from .world import World

__all__ = ["World", "System", "Client", "Driver", "OpHandle", "Result", "Description", "Option", "Role",
           "DEFAULT_ROLES", "partition_presets"]
