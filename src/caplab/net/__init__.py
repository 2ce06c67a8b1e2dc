"""Network and faults: endpoints, messages, latency models, loss, partitions, crashes, clocks,
the nemesis, failure detectors, and service endpoints (queues and workers)."""

from .endpoint import Endpoint
from .failure import FailureDetector, PhiAccrualDetector
from .latency import (Constant, Exponential, LatencyModel, Mixture, Pareto, Uniform,
                      latency_model)
from .message import Message, message
from .nemesis import ACTIONS, FAULTS, Nemesis
from .network import InFlight, Network
from .service import Job, PoissonClient, Rejected, Request, Service

__all__ = ["Endpoint", "Message", "message", "Network", "InFlight", "Nemesis", "ACTIONS",
           "FAULTS", "LatencyModel", "Constant", "Uniform", "Exponential", "Pareto", "Mixture",
           "latency_model", "FailureDetector", "PhiAccrualDetector", "Service", "Request",
           "Rejected", "Job", "PoissonClient"]
