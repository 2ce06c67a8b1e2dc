"""In-order delivery per connection over a network that reorders: a small resequencer.

AMQP and NATS run over TCP, so what one publisher sends on a channel arrives in order, and so
do the deliveries of one consumer channel. The simulated network gives each message its own
latency, so a receiver puts numbered messages back in order: it holds a message that arrives
early until the ones before it come, and after ``wait_ms`` (a message lost to a partition or a
crash, which TCP would surface as a broken connection) it lets the held ones through anyway.

Example:
    >>> out = []
    >>> r = Resequencer(lambda item: out.append(item), schedule=None)
    >>> r.push("alice", 2, "b"); r.push("alice", 1, "a"); out
    ['a', 'b']
"""

from __future__ import annotations

__all__ = ["Resequencer"]


class Resequencer:
    """Delivers ``push(stream, seq, item)`` to ``deliver(item)`` in ``seq`` order per stream.

    Args:
        deliver: called with each item, in order.
        schedule: ``schedule(delay_ms, fn, *args)`` (an endpoint's ``set_timer``), used to stop
            waiting for a gap; None: never give up (tests).
        wait_ms: how long an early message waits for the ones before it.
    """

    __slots__ = ("deliver", "schedule", "wait_ms", "expected", "held")

    def __init__(self, deliver, schedule, wait_ms: int = 20) -> None:
        self.deliver = deliver
        self.schedule = schedule
        self.wait_ms = wait_ms
        self.expected: dict = {}
        self.held: dict = {}

    def push(self, stream, seq: int, item) -> None:
        expected = self.expected.get(stream, 1)
        if seq != expected:
            if seq < expected:
                self.deliver(item)        # late: the gap before it was given up on
                return
            held = self.held.setdefault(stream, {})
            if not held and self.schedule is not None:
                self.schedule(self.wait_ms, self.give_up, stream)
            held[seq] = item
            return
        self.deliver(item)
        self.expected[stream] = seq + 1
        held = self.held.get(stream)
        while held:
            nxt = held.pop(self.expected[stream], None)
            if nxt is None:
                break
            self.deliver(nxt)
            self.expected[stream] += 1

    def give_up(self, stream) -> None:
        """Stop waiting for a gap: deliver what is held, in order."""
        held = self.held.pop(stream, None)
        if not held:
            return
        for seq in sorted(held):
            self.deliver(held[seq])
        self.expected[stream] = max(held) + 1

    def reset(self) -> None:
        """Forget every stream (the connection's end crashed)."""
        self.expected.clear()
        self.held.clear()
