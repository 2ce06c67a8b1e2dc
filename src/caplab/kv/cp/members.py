"""Member options of the replica set (MongoDB's ``members[n]`` configuration), validated.

``Cluster(mode="cp", nodes=3, arbiters=1)`` makes the last node an arbiter (the PSA shape);
``members={"n4": {"votes": 0, "priority": 0}, "n5": {"hidden": True, "priority": 0,
"delay_ms": 3000}}`` sets per-member options. What each option means, from MongoDB's manual:

* ``arbiter``: holds no data and can never be primary; has exactly one vote and priority 0.
* ``votes`` (0 or 1): a member with 0 votes replicates and can acknowledge ``w: <number>`` writes
  but does not vote and does not count for a majority; it must have priority 0.
* ``priority`` (0..1000, default 1): 0 means never primary (same as the ``priorities`` option).
* ``hidden``: holds data, may vote, is invisible to clients (no read preference selects it);
  must have priority 0.
* ``delay_ms`` (``secondaryDelaySecs``, lab time): the member applies the oplog this long after
  the primary wrote it; it must be hidden and have priority 0.

At most 7 members vote (MongoDB's limit). The *implicit default write concern* (MongoDB 5.0+)
is ``w: "majority"``, except that with arbiters, when the data-bearing voting members are no more
than a voting majority, it is ``{w: 1}`` (:func:`implicit_write_concern`).

Example:
    >>> table = check_members(None, 1, {}, ["n1", "n2", "n3"])
    >>> table["n3"]["arbiter"], table["n3"]["votes"], table["n3"]["priority"]
    (True, 1, 0)
    >>> implicit_write_concern(table)
    1
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownNameError, check_flag

__all__ = ["MEMBER_OPTIONS", "MAX_VOTING_MEMBERS", "check_members", "implicit_write_concern",
           "voting_majority", "write_majority"]

#: the keys a member's options may have, with their defaults
MEMBER_OPTIONS = {"arbiter": False, "votes": 1, "priority": 1, "hidden": False, "delay_ms": 0}
#: MongoDB: a replica set has at most 7 voting members
MAX_VOTING_MEMBERS = 7


def _flag(node, key, value) -> bool:
    return check_flag(f"members[{node!r}][{key!r}]", value)


def _member(node: str, given: dict, priority_given) -> dict:
    """One member's options, checked against MongoDB's rules (each error names the rule)."""
    for key in given:
        if key not in MEMBER_OPTIONS:
            raise UnknownNameError(f"option of member {node!r}", key, list(MEMBER_OPTIONS))
    arbiter = _flag(node, "arbiter", given.get("arbiter", False))
    hidden = _flag(node, "hidden", given.get("hidden", False))
    votes = given.get("votes", 1)
    if isinstance(votes, bool) or votes not in (0, 1):
        raise ConfigError(f"members[{node!r}]['votes'] must be 0 or 1 (MongoDB), got {votes!r}")
    delay = given.get("delay_ms", 0)
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise ConfigError(f"members[{node!r}]['delay_ms'] must be a whole number of ms >= 0 "
                          f"(MongoDB's secondaryDelaySecs, lab time), got {delay!r}")
    if "priority" in given and priority_given not in (None, given["priority"]):
        raise ConfigError(f"the priority of {node!r} is given twice (priorities={{{node!r}: "
                          f"{priority_given!r}}} and members[{node!r}]['priority']="
                          f"{given['priority']!r}); give it in one place")
    priority = given.get("priority", priority_given)
    if priority is None:
        priority = 0 if arbiter else 1      # MongoDB 3.6+: an arbiter has priority 0
    if isinstance(priority, bool) or not isinstance(priority, (int, float)) \
            or not 0 <= priority <= 1000:
        raise ConfigError(f"priority of {node!r} must be a number 0..1000 (MongoDB's range; "
                          f"0 = never primary), got {priority!r}")
    if arbiter:
        if votes != 1 or priority != 0 or hidden or delay:
            raise ConfigError(f"member {node!r} is an arbiter: it has exactly 1 vote and "
                              f"priority 0 and is neither hidden nor delayed (MongoDB), got "
                              f"votes={votes!r}, priority={priority!r}, hidden={hidden!r}, "
                              f"delay_ms={delay!r}")
    if votes == 0 and priority != 0:
        raise ConfigError(f"member {node!r} has votes=0 and priority={priority!r}: MongoDB "
                          f"requires non-voting members to have priority 0")
    if hidden and priority != 0:
        raise ConfigError(f"member {node!r} is hidden with priority={priority!r}: hidden "
                          f"members must have priority 0 (MongoDB)")
    if delay and not (hidden and priority == 0):
        raise ConfigError(f"member {node!r} has delay_ms={delay!r} but hidden={hidden!r}, "
                          f"priority={priority!r}: a delayed member must be hidden and have "
                          f"priority 0 (MongoDB)")
    return {"arbiter": arbiter, "votes": votes, "priority": priority, "hidden": hidden,
            "delay_ms": delay}


def check_members(members, arbiters, priorities: dict, names: list[str]) -> dict:
    """Every member's options, from ``members`` (node -> options), ``arbiters`` (how many of the
    last nodes are arbiters) and ``priorities`` (node -> priority).

    Args:
        members: None, or a dict node -> dict of :data:`MEMBER_OPTIONS` keys.
        arbiters: how many of the last nodes are arbiters (0 .. nodes - 1).
        priorities: node -> priority (already checked to name members).
        names: the member names, in order.

    Returns:
        node -> ``{"arbiter", "votes", "priority", "hidden", "delay_ms"}``.

    Raises:
        ConfigError / UnknownNameError: naming the value and what is allowed.

    Example:
        >>> check_members({"n3": {"votes": 2}}, 0, {}, ["n1", "n2", "n3"])
        Traceback (most recent call last):
        ...
        caplab.errors.ConfigError: members['n3']['votes'] must be 0 or 1 (MongoDB), got 2
    """
    if isinstance(arbiters, bool) or not isinstance(arbiters, int) \
            or not 0 <= arbiters < len(names):
        raise ConfigError(f"arbiters must be a whole number 0..{len(names) - 1} (the last nodes "
                          f"become arbiters; at least one member must hold data), got "
                          f"{arbiters!r}")
    given = members or {}
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        raise ConfigError(f"members must be a dict node -> options, e.g. {{'n3': {{'arbiter': "
                          f"True}}}}, got {members!r}")
    for node in given:
        if node not in names:
            raise UnknownNameError("node in members", node, names)
    table = {}
    for i, node in enumerate(names):
        options = dict(given.get(node, {}))
        if i >= len(names) - arbiters:
            if options.get("arbiter", True) is not True:
                raise ConfigError(f"{node!r} is one of the last {arbiters} nodes made arbiters "
                                  f"by arbiters={arbiters}, but members[{node!r}] says "
                                  f"arbiter={options['arbiter']!r}")
            options["arbiter"] = True
        table[node] = _member(node, options, priorities.get(node))
    voting = [n for n, m in table.items() if m["votes"]]
    if len(voting) > MAX_VOTING_MEMBERS:
        raise ConfigError(f"{len(voting)} voting members ({', '.join(voting)}): MongoDB allows "
                          f"at most {MAX_VOTING_MEMBERS}; give the others votes=0 and priority 0")
    if all(m["arbiter"] for m in table.values()):
        raise ConfigError("every member is an arbiter: at least one member must hold data")
    if not any(m["priority"] > 0 for m in table.values()):
        raise ConfigError("every member has priority 0, so no member could ever become "
                          "primary; give at least one member a priority > 0")
    return table


def voting_majority(table: dict) -> int:
    """MongoDB: 1 plus half the number of voting members, rounded down."""
    return sum(m["votes"] for m in table.values()) // 2 + 1


def write_majority(table: dict) -> int:
    """How many data-bearing voting members ``w: "majority"`` needs (MongoDB's *calculated
    majority*): the voting majority, or all the data-bearing voting members if there are fewer
    (arbiters cannot acknowledge writes)."""
    data_voting = sum(1 for m in table.values() if m["votes"] and not m["arbiter"])
    return min(voting_majority(table), data_voting)


def implicit_write_concern(table: dict):
    """MongoDB 5.0+'s implicit default write concern: ``{w: 1}`` if there are arbiters and the
    data-bearing voting members are no more than the voting majority, else ``"majority"``."""
    arbiters = sum(1 for m in table.values() if m["arbiter"])
    data_voting = sum(1 for m in table.values() if m["votes"] and not m["arbiter"])
    return 1 if arbiters > 0 and data_voting <= voting_majority(table) else "majority"
