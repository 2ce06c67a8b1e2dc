"""Datacenters: Cassandra's ``NetworkTopologyStrategy`` and the levels that count per datacenter.

With ``datacenters={"dc1": 3, "dc2": 3}`` every node belongs to one datacenter (option
``node_datacenters``, or the nodes split in order into equal groups), and a key's replicas are,
walking the ring clockwise from its token, the first ``rf`` distinct nodes *of each
datacenter* (racks are not modelled). The replication factor is the sum (6 here), so QUORUM
is ``sum // 2 + 1`` over all datacenters (4), while

* ``LOCAL_ONE`` / ``LOCAL_QUORUM`` count only replicas in the coordinator's datacenter
  (1, or ``rf_dc // 2 + 1``), so they never wait across the WAN;
* ``EACH_QUORUM`` needs a quorum in every datacenter;
* ``LOCAL_SERIAL`` runs Paxos among the local datacenter's replicas only.

A :class:`Need` says how many replicas a level needs and where; without datacenters it is a
plain count. ``wan_latency_ms`` is the one-way latency between nodes of different datacenters.

Example:
    >>> need = Need(((None, 2),), {})
    >>> need.met(["n1", "n2"]), str(need)
    (True, '2')
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError

__all__ = ["Need", "DC_LEVELS", "need_for", "check_datacenters", "split_nodes"]

#: levels that count replicas per datacenter (they need ``datacenters``)
DC_LEVELS = ("local_one", "local_quorum", "each_quorum")


class Need:
    """How many replicas a level needs, and where: ``counts`` is ``((dc or None, n), ...)``."""

    __slots__ = ("counts", "dc_of")

    def __init__(self, counts, dc_of: dict) -> None:
        self.counts, self.dc_of = tuple(counts), dc_of

    def _count(self, nodes, dc) -> int:
        return sum(1 for n in nodes if dc is None or self.dc_of.get(n) == dc)

    def met(self, nodes) -> bool:
        """Whether ``nodes`` (acks, answers, live replicas) satisfy every count."""
        nodes = list(nodes)
        return all(self._count(nodes, dc) >= n for dc, n in self.counts)

    def pick(self, ordered) -> list[str]:
        """The fewest of ``ordered`` (in order) that satisfy the need, taking only nodes that
        count towards a count not yet met."""
        picked: list[str] = []
        for node in ordered:
            if self.met(picked):
                break
            if any(self._count(picked, dc) < n and (dc is None or self.dc_of.get(node) == dc)
                   for dc, n in self.counts):
                picked.append(node)
        return picked

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    def __str__(self) -> str:
        return ", ".join(str(n) if dc is None else f"{n} in {dc}" for dc, n in self.counts)


def need_for(level, rf: int, dc_rf: dict | None, dc_of: dict, local_dc) -> Need:
    """The :class:`Need` of ``level`` (validated already) for a coordinator in ``local_dc``."""
    if isinstance(level, int):
        return Need(((None, level),), dc_of)
    if level in DC_LEVELS:
        if level == "each_quorum":
            return Need(tuple((dc, r // 2 + 1) for dc, r in dc_rf.items()), dc_of)
        local = dc_rf[local_dc]
        return Need(((local_dc, 1 if level == "local_one" else local // 2 + 1),), dc_of)
    n = {"any": 1, "one": 1, "two": 2, "three": 3, "quorum": rf // 2 + 1, "all": rf,
         "serial": rf // 2 + 1, "local_serial": rf // 2 + 1}[level]
    return Need(((None, n),), dc_of)


def split_nodes(node_names, dcs) -> dict:
    """node -> datacenter: the nodes in order, in equal contiguous groups (the first groups one
    larger when they do not divide evenly)."""
    names, dcs = list(node_names), list(dcs)
    size, extra = divmod(len(names), len(dcs))
    out, i = {}, 0
    for j, dc in enumerate(dcs):
        for _ in range(size + (1 if j < extra else 0)):
            out[names[i]] = dc
            i += 1
    return out


def check_datacenters(opts: dict, node_names) -> dict:
    """Validate ``datacenters``, ``node_datacenters`` and ``wan_latency_ms``; fill in the
    node assignment and set ``replication_factor`` to the sum. Returns ``opts``.

    Raises:
        ConfigError / UnknownNameError naming the value and what is allowed.
    """
    dcs = opts["datacenters"]
    wan = opts["wan_latency_ms"]
    if dcs is None:
        if opts["node_datacenters"] is not None or wan is not None:
            raise ConfigError("node_datacenters and wan_latency_ms need datacenters={dc: rf, "
                              "...} (Cassandra's NetworkTopologyStrategy)")
        return opts
    if not isinstance(dcs, dict) or not dcs or not all(isinstance(k, str) and k for k in dcs):
        raise ConfigError(f"datacenters must be a dict of datacenter name -> replication "
                          f"factor, e.g. {{'dc1': 3, 'dc2': 3}}, got {dcs!r}")
    for dc, rf in dcs.items():
        if isinstance(rf, bool) or not isinstance(rf, int) or rf < 1:
            raise ConfigError(f"datacenters[{dc!r}]={rf!r}: a replication factor must be a "
                              f"whole number >= 1")
    placed = opts["node_datacenters"]
    if placed is None:
        if len(node_names) < len(dcs):
            raise ConfigError(f"{len(dcs)} datacenters need at least {len(dcs)} nodes, got "
                              f"{len(node_names)}")
        placed = split_nodes(node_names, dcs)
    else:
        if not isinstance(placed, dict) or set(placed) != set(node_names):
            raise ConfigError(f"node_datacenters must map every node ({', '.join(node_names)}) "
                              f"to a datacenter, got {placed!r}")
        for node, dc in placed.items():
            if dc not in dcs:
                raise UnknownNameError(f"datacenter of node {node!r}", dc, list(dcs))
        placed = {n: placed[n] for n in node_names}
    for dc, rf in dcs.items():
        count = sum(1 for d in placed.values() if d == dc)
        if rf > count:
            raise ConfigError(f"datacenters[{dc!r}]={rf} exceeds the {count} nodes of {dc}; "
                              f"choose 1 <= rf <= {count} or put more nodes in {dc}")
    if wan is not None and (isinstance(wan, bool) or not isinstance(wan, int) or wan < 1):
        raise ConfigError(f"wan_latency_ms must be a whole number of ms >= 1 or None, got {wan!r}")
    opts["node_datacenters"] = placed
    opts["datacenters"] = dict(dcs)
    opts["replication_factor"] = sum(dcs.values())
    return opts
