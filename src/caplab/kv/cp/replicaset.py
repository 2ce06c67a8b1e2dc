"""The replica set backend behind ``Cluster(mode="cp")``: members, config, and what views read."""

from __future__ import annotations

from typing import Any

from ..backend import Backend
from .driver import ReplicaSetDriver
from .node import PRIMARY, ReplicaNode
from .describe import describe_replica_set
from .messages import StepUp
from .options import DEFAULTS, validate_cluster_options

__all__ = ["ReplicaSet"]


class ReplicaSet(Backend):
    """A MongoDB-style replica set (see :mod:`caplab.kv.cp` for the rules and options).

    Attributes:
        elections: ``(start_ms, end_ms, winner, term)`` for every election won; ``start_ms`` is
            when the winner started its (dry-run) election, ``end_ms`` when it became primary.
        rollback_log: what :meth:`rollbacks` returns.

    Example:
        >>> from caplab.kv import Cluster
        >>> c = Cluster(mode="cp", nodes=3, seed=1)
        >>> c.client("alice", near="n1").put("x", "1").ok
        True
        >>> c.primary is not None
        True
    """

    mode = "cp"
    OPTIONS = dict(DEFAULTS)
    PUBLIC = ("rollbacks", "elections", "step_down", "writable_primary")

    @classmethod
    def check_options(cls, options: dict, node_names) -> dict:
        """Validate the replica set's options; return them with every member's priority."""
        return validate_cluster_options(options, list(node_names))

    def describe(self):
        """Roles, options and fault presets of this replica set (for views and panels)."""
        return describe_replica_set(self)

    def __init__(self, cluster, node_names: list[str], options: dict) -> None:
        config = self.check_options(options, node_names)  # before any change
        super().__init__(cluster, node_names, config)
        self.config = config
        self.vote_rule = config["vote_rule"]    # ballot -> (granted, reason); see voting.py
        self.member_names: list[str] = list(node_names)
        self.elections: list[tuple[int, int, str, int]] = []
        self.rollback_log: list[dict] = []
        self.driver = ReplicaSetDriver(self)
        for name in node_names:
            node = ReplicaNode(name, self)
            cluster.world.add_node(node)
            self.nodes[name] = node
        for node in self.nodes.values():
            node.start()

    # -- records the members write ---------------------------------------------------------
    def record_election(self, start_ms: int, end_ms: int, winner: str, term: int) -> None:
        self.elections.append((start_ms, end_ms, winner, term))

    def record_rollback(self, node: str, time_ms: int, entry) -> None:
        self.rollback_log.append({"node": node, "time_ms": time_ms, "key": entry.key,
                                  "value": entry.value, "optime": entry.optime,
                                  "term": entry.term})

    # -- public, mode-specific -------------------------------------------------------------
    def rollbacks(self) -> list[dict]:
        """Writes removed by rollbacks: dicts ``node, time_ms, key, value, optime, term``.

        Example:
            >>> c.rollbacks()                                    # doctest: +SKIP
            [{'node': 'n1', 'time_ms': 2310, 'key': 'x', 'value': 'lost', ...}]
        """
        return [dict(r) for r in self.rollback_log]

    def step_down(self, node: str, *, step_down_ms: int = 6000,
                  catch_up_ms: int = 1000) -> None:
        """Ask primary ``node`` to step down, as ``rs.stepDown()`` does.

        MongoDB's ``rs.stepDown(stepDownSecs=60, secondaryCatchUpPeriodSecs=10)``, at lab scale
        (1/10): the primary waits up to ``catch_up_ms`` for an electable secondary (priority > 0,
        heard from recently) to catch up with its oplog, then steps down and may not stand for
        election for ``step_down_ms``, so a caught-up secondary wins. This call runs the
        simulation for that wait, as the shell's ``rs.stepDown()`` blocks.

        Raises:
            UnknownNameError: ``node`` is not a member.
            ConfigError: ``node`` is down or not primary, or a bad duration (nothing changes).
            SimulationError: no electable secondary caught up within ``catch_up_ms``; the
                primary stays primary (MongoDB answers ``ExceededTimeLimit``).

        Example:
            >>> c.step_down(c.primary); c.run_for(1500); c.primary   # doctest: +SKIP
            'n2'
        """
        from ...errors import (ConfigError, SimulationError, UnknownNameError,
                               check_non_negative_int)
        if node not in self.nodes:
            raise UnknownNameError("node", node, self.member_names)
        step_down_ms = check_non_negative_int("step_down_ms", step_down_ms)
        catch_up_ms = check_non_negative_int("catch_up_ms", catch_up_ms)
        member = self.nodes[node]
        if not member.up or member.role != PRIMARY:
            raise ConfigError(f"{node!r} is not primary (it is {self.roles()[node]}); "
                              f"step_down() applies to the primary, now {self.primary!r}")
        sim = self.cluster.sim
        # MongoDB: every write to the primary fails from the moment replSetStepDown arrives
        # until a new primary is elected or the step-down gives up.
        member.stepping_down = True
        try:
            sim.run_until(lambda: member.role != PRIMARY or self._electable_caught_up(member),
                          timeout_ms=catch_up_ms)
        finally:
            member.stepping_down = False
        if member.role != PRIMARY:
            return  # it lost the primary role by itself meanwhile
        if not self._electable_caught_up(member):
            raise SimulationError(
                f"step_down({node!r}): no electable secondary caught up within {catch_up_ms} ms "
                f"(MongoDB: ExceededTimeLimit); {node!r} stays primary")
        member.ineligible_until_ms = sim.now + step_down_ms
        successor = self._handoff_target(member)
        member.step_down(f"rs.stepDown(), not electable for {step_down_ms} ms")
        if self.config["election_handoff"] and successor is not None:
            # MongoDB (enableElectionHandoff, default true): the stepped-down primary sends
            # replSetStepUp to a caught-up electable secondary, which stands at once.
            member.send(successor, StepUp(member.term))

    def _handoff_target(self, primary) -> str | None:
        """The caught-up electable secondary with the highest priority (then member order)."""
        now, last = primary.now, primary.oplog.last_index
        priorities = self.config["priorities"]
        ready = [p for p in primary.peers if priorities[p] > 0
                 and primary.match_index.get(p, 0) >= last and primary.detector.is_alive(p, now)]
        return max(ready, key=lambda p: (priorities[p], -self.member_names.index(p)),
                   default=None)

    def _electable_caught_up(self, primary) -> bool:
        """A secondary with priority > 0, heard from within the election timeout, whose oplog
        matches the primary's last entry."""
        now = primary.now
        last = primary.oplog.last_index
        priorities = self.config["priorities"]
        return any(priorities[p] > 0 and primary.match_index.get(p, 0) >= last
                   and primary.detector.is_alive(p, now) for p in primary.peers)

    # -- what the facade and views read ----------------------------------------------------
    @property
    def data_bearing(self) -> list[str]:
        """The members that hold data (every member but the arbiters)."""
        return [n for n in self.member_names if not self.config["members"][n]["arbiter"]]

    def staleness_ms(self) -> dict[str, int]:
        """Each data-bearing member that is up -> its estimated staleness, as a driver computes
        it for ``maxStalenessSeconds`` from the members' last write dates (the newest member's
        minus this one's, plus the heartbeat interval). The driver's monitoring is modelled as
        knowing each member's last write date now (MongoDB: as of its last check)."""
        last = {n: (self.nodes[n].oplog.entries[-1].wall_ms if self.nodes[n].oplog.entries
                    else 0) for n in self.data_bearing if self.nodes[n].up}
        newest = max(last.values(), default=0)
        beat = self.config["heartbeat_ms"]
        return {n: newest - t + beat for n, t in last.items()}

    @property
    def visible(self) -> list[str]:
        """The members a client may read from: data-bearing and not hidden (MongoDB: read
        preferences never select hidden members or arbiters)."""
        members = self.config["members"]
        return [n for n in self.member_names
                if not members[n]["arbiter"] and not members[n]["hidden"]]

    def roles(self) -> dict[str, str]:
        return {name: (node.role if node.up else "down") for name, node in self.nodes.items()}

    @property
    def primary(self) -> str | None:
        """The primary of the highest term among members that are up, or None."""
        best = None
        for name, node in self.nodes.items():
            if node.up and node.role == PRIMARY and (best is None or node.term > best[0]):
                best = (node.term, name)
        return best[1] if best else None

    @property
    def writable_primary(self) -> str | None:
        """The primary if it accepts writes now (not catching up after its election, not
        stepping down), else None. MongoDB's ``hello`` reports it as ``isWritablePrimary``."""
        name = self.primary
        return name if name is not None and self.nodes[name].writable else None

    def node_info(self) -> list[dict]:
        rows = []
        for name, node in self.nodes.items():
            rows.append({"node": name, "role": node.role if node.up else "down",
                         "writable": node.up and node.writable,
                         "term": node.term, "voted_for": node.voted_for,
                         "last_optime": node.oplog.last_optime,
                         "commit_optime": node.oplog.commit_optime,
                         "priority": node.priority, "primary": node.primary_name,
                         "oplog_len": node.oplog.last_index, "up": node.up,
                         "votes": node.votes, "arbiter": node.arbiter,
                         "hidden": self.config["members"][name]["hidden"],
                         "delay_ms": node.delay_ms})
        return rows

    def replica_records(self) -> list[dict]:
        rows = []
        for name, node in self.nodes.items():
            oplog = node.oplog
            for key in oplog.keys():
                value, optime = oplog.get(key)
                rows.append({"node": name, "key": key, "value": value, "version": optime})
        return rows

    def oplog(self, node: str) -> list:
        """The oplog entries of ``node`` (``OplogEntry`` named tuples), oldest first."""
        return list(self.nodes[node].oplog.entries)

    def export_data(self) -> dict[str, Any]:
        source = self.primary
        if source is None:
            up = [n for n in self.nodes.values() if n.up] or list(self.nodes.values())
            source = max(up, key=lambda n: n.oplog.last_optime).name
        oplog = self.nodes[source].oplog
        return {key: oplog.get(key)[0] for key in oplog.keys()}

    def import_data(self, data: dict[str, Any]) -> None:
        """Load ``data`` into every member as already majority-committed term-0 entries."""
        for node in self.nodes.values():
            if node.arbiter:
                continue    # an arbiter holds no data
            oplog = node.oplog
            for key in sorted(data):
                oplog.append_new(0, "put", key, data[key], self.cluster.now)
            oplog.commit_index = oplog.last_index
