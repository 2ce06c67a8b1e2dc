"""Lab 5 reference answers: a single-node register (q1) and ABD, a quorum register (q2)
(Attiya, Bar-Noy, Dolev 1995, multi-writer form). ``lab05.q1.solution()`` and
``lab05.q2.solution()`` print the same classes."""

from caplab.net import message
from caplab.labkit.labs.lab05 import RegisterNode, Put


class SingleNode(RegisterNode):
    """q1: one node answers from its own store, kept on disk across crashes."""

    durable = ("store",)

    def setup(self):
        self.store = {}

    def handle_put(self, msg, src):
        self.store[msg.key] = msg.value
        self.reply(src, msg)

    def handle_get(self, msg, src):
        self.reply(src, msg, self.store.get(msg.key))


@message
class Query:
    """Phase 1 of ABD: what is your version of ``key``? (``op`` names the operation)"""
    key: str
    op: int


@message
class Version:
    """A replica's answer to :class:`Query`: its version and value of ``key``."""
    key: str
    op: int
    version: tuple
    value: object


@message
class Store:
    """Phase 2 of ABD: keep ``value`` under ``key`` if ``version`` is newer than yours."""
    key: str
    op: int
    version: tuple
    value: object


@message
class Stored:
    """A replica's acknowledgement of :class:`Store` ``op``."""
    op: int


class QuorumNode(RegisterNode):
    """q2: ABD. Both operations run two phases against a majority: query, then store."""

    # A replica's store is its disk; so is the operation counter, so that an operation id is
    # never reused after a crash (a late reply to an old operation must not count for a new one).
    durable = ("store", "next_op")
    NOTHING = ((0, "", 0), None)            # the version and value of a key nobody wrote

    def setup(self):
        self.store = {}        # key -> (version, value); version = (counter, node, op)
        self.next_op = 0
        self.ops = {}          # op id -> what this node coordinates (volatile)

    def handle_put(self, msg, src):
        self.start(msg, src)

    def handle_get(self, msg, src):
        self.start(msg, src)

    def start(self, request, client):
        self.next_op += 1
        self.ops[self.next_op] = {"client": client, "request": request, "phase": "query",
                                  "replies": [], "acks": 0}
        self.broadcast(Query(request.key, self.next_op))

    def handle_query(self, msg, src):
        version, value = self.store.get(msg.key, self.NOTHING)
        self.send(src, Version(msg.key, msg.op, version, value))

    def handle_version(self, msg, src):
        op = self.ops.get(msg.op)
        if op is None or op["phase"] != "query":
            return                 # a late reply: that phase already has its majority
        op["replies"].append((msg.version, msg.value))
        if len(op["replies"]) < self.majority:
            return
        version, value = max(op["replies"], key=lambda reply: reply[0])
        if isinstance(op["request"], Put):
            # A version higher than any a majority holds; node and op break ties between
            # concurrent writes, even two coordinated by this node.
            version, value = (version[0] + 1, self.name, msg.op), op["request"].value
        # A read writes back what it read: once it answers, a majority holds that version, so
        # no later read can return anything older (ABD's second phase).
        op.update(phase="store", value=value)
        self.broadcast(Store(msg.key, msg.op, version, value))

    def handle_store(self, msg, src):
        if msg.version > self.store.get(msg.key, self.NOTHING)[0]:
            self.store[msg.key] = (msg.version, msg.value)
        self.send(src, Stored(msg.op))

    def handle_stored(self, msg, src):
        op = self.ops.get(msg.op)
        if op is None or op["phase"] != "store":
            return
        op["acks"] += 1
        if op["acks"] == self.majority:
            del self.ops[msg.op]
            self.reply(op["client"], op["request"], op["value"])
