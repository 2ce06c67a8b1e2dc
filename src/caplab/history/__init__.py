"""Histories of client operations (and, in submodules, sequential models and parsers)."""

from .models import UNKNOWN, Model, cas_register_model, kv_model, register_model
from .porcupine import load_jepsen_etcd, load_porcupine, load_porcupine_kv
from .record import COLUMNS, OPS, OUTCOMES, History, Operation

__all__ = ["History", "Operation", "COLUMNS", "OPS", "OUTCOMES",
           "Model", "UNKNOWN", "register_model", "cas_register_model", "kv_model",
           "load_porcupine_kv", "load_jepsen_etcd", "load_porcupine"]
