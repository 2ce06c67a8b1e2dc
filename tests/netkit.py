"""A tiny echo protocol for network tests (imported by tests; not a conftest, so the name is
unique on sys.path)."""

from __future__ import annotations

from caplab.net import Endpoint, message


@message
class Ping:
    n: int


class Recorder(Endpoint):
    """Records every message it receives; answers Ping(n) with Ping(n + 1) if asked to."""

    def __init__(self, name, echo=False):
        super().__init__(name)
        self.echo = echo
        self.got = []
        self.timers_fired = []

    def handle_ping(self, msg, src):
        self.got.append((self.now, src, msg.n))
        if self.echo:
            self.send(src, Ping(msg.n + 1))


class RecorderClient(Recorder):
    is_client = True
