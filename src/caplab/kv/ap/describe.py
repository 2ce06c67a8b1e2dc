"""How the ring describes itself to views and panels (roles, options, presets)."""

from __future__ import annotations

from ...world.describe import Description, Option, Role, partition_presets
from .coordinator import LEVELS, SERIAL_READS
from .topology import DC_LEVELS

__all__ = ["describe_ring", "ROLES"]

ROLES = {"replica": Role("replica", "#009E73", label="replica")}


def describe_ring(ring) -> Description:
    """The :class:`Description` of ring ``ring`` in its current state."""
    rf = ring.rf
    levels = tuple(level for level in LEVELS
                   if (level not in ("two", "three") or {"two": 2, "three": 3}[level] <= rf)
                   and (level not in DC_LEVELS or ring.options["datacenters"]))
    options = [Option(name, ring.options.get(name, default), "system")
               for name, default in type(ring).OPTIONS.items()]
    for op, default in (("put", ring.options["write_consistency"]),
                        ("get", ring.options["read_consistency"])):
        allowed = (tuple(lv for lv in levels if lv not in SERIAL_READS) if op == "put"
                   else tuple(lv for lv in levels if lv != "any"))
        options.append(Option("consistency", default, op, "consistency level", choices=allowed,
                              allowed=f"{', '.join(allowed)} or 1..{rf}"))
    return Description(system="kv", mode="ap", title="AP: a Cassandra/Dynamo-style ring",
                       roles=ROLES, options=tuple(options),
                       presets=partition_presets(list(ring.nodes)), warmup_ms=0, layout="ring",
                       # Every replica answers (Cassandra CL=ALL): the newest version wins.
                       strong_read={"consistency": "all"})
