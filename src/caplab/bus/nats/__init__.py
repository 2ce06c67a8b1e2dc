"""NATS-like subjects on the world: core publish/subscribe with ``*`` and ``>`` wildcards
(at-most-once: only subscribers connected at publish time get a message), queue groups,
request-reply with "no responders", and a JetStream-like stream beside it (stored messages,
explicit acks, redelivery after an ack wait, a maximum number of deliveries: at-least-once).

Example:
    >>> from caplab.bus.nats import Nats
    >>> n = Nats(servers=1, seed=1)
    >>> svc = n.client("svc"); sid = svc.subscribe("time", handler=lambda s, d, i: "noon")
    >>> n.run_for(20)
    >>> r = n.client("app").request("time")
    >>> r.ok, n.history[r.id].output
    (True, 'noon')
    >>> n.client("lonely").request("nobody.home").error.startswith("no responders")
    True

Sources: the NATS documentation (subjects and wildcards, core NATS, queue groups, request-reply,
JetStream streams and consumers), cited in each module.
"""

from .client import JS_OUTCOMES, NatsClient
from .subjects import check_pattern, check_subject, subject_matches
from .system import OPTIONS, Nats

__all__ = ["Nats", "NatsClient", "OPTIONS", "JS_OUTCOMES", "subject_matches", "check_pattern",
           "check_subject"]
