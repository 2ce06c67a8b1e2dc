"""The world every system runs on: simulation, network, faults, time, clients, history."""

from .describe import DEFAULT_ROLES, Description, Option, Role, partition_presets

__all__ = ["Description", "Option", "Role", "DEFAULT_ROLES", "partition_presets"]
