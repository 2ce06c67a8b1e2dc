"""Histories of client operations (and, in submodules, sequential models per family: registers
and key-value maps in ``models``, queues, logs and transactions in ``families``; parsers; the
result type every checker returns in ``result``)."""

from .families import log_model, queue_model, txn_model
from .models import UNKNOWN, Model, cas_register_model, kv_model, register_model
from .porcupine import load_jepsen_etcd, load_porcupine, load_porcupine_kv
from .record import COLUMNS, OPS, OUTCOMES, History, Operation

__all__ = ["History", "Operation", "COLUMNS", "OPS", "OUTCOMES",
           "Model", "UNKNOWN", "register_model", "cas_register_model", "kv_model",
           "queue_model", "log_model", "txn_model",
           "load_porcupine_kv", "load_jepsen_etcd", "load_porcupine"]
