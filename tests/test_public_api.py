"""The public face: each public package's __all__ is exactly the list below (a name added or
dropped is an API change, made here on purpose), every name in it exists, and the simulator core
imports no UI library."""

import importlib
import subprocess
import sys

import pytest

import caplab

#: package -> its public names, exactly (order aside).
PUBLIC_API = {
    "caplab": [
        "Cluster", "Result", "Workload", "Nemesis", "Simulation", "World", "CaplabError",
        "ConfigError", "UnknownNameError", "SimulationError", "HistoryError", "__version__"],
    "caplab.world": [
        "World", "System", "Client", "Driver", "ClientDriver", "OpHandle", "Result",
        "Description", "Option",
        "Role",
        "DEFAULT_ROLES", "partition_presets"],
    "caplab.sim": [
        "Simulation", "Timer", "Streams", "derive_seed", "stable_hash", "Trace", "TraceEvent"],
    "caplab.net": [
        "Endpoint", "Message", "message", "Network", "InFlight", "Nemesis", "ACTIONS", "FAULTS",
        "LatencyModel", "Constant", "Uniform", "Exponential", "Pareto", "Mixture",
        "latency_model", "FailureDetector", "PhiAccrualDetector", "Service", "Request",
        "Rejected", "Job", "PoissonClient"],
    "caplab.kv": ["Cluster", "Client", "OpHandle", "Result", "Workload", "MODES"],
    "caplab.history": [
        "History", "Operation", "COLUMNS", "OPS", "OUTCOMES", "Model", "UNKNOWN",
        "register_model", "cas_register_model", "kv_model", "queue_model", "log_model",
        "txn_model", "load_porcupine_kv",
        "load_jepsen_etcd", "load_porcupine"],
    "caplab.check": [
        "CheckResult", "Summary", "check_all", "summarize", "SUMMARY_COLUMNS", "normalize_history", "check_linearizability",
        "LinearizabilityResult", "LINEARIZABLE", "NOT_LINEARIZABLE", "UNKNOWN_VERDICT",
        "DEFAULT_MAX_STEPS", "check_stale_reads", "StaleRead", "StaleReadResult",
        "check_lost_writes", "LostWrite", "LostWriteResult", "check_sessions", "SessionResult",
        "SessionViolation", "READ_YOUR_WRITES", "MONOTONIC_READS", "check_convergence",
        "ConvergenceResult"],
    "caplab.data": ["bundled_porcupine_dir"],
    "caplab.analyses": ["staleness"],
    "caplab.viz": [
        "cluster_graph", "cluster_graph_data", "node_positions", "ring_view", "ring_view_data",
        "replica_heatmap", "replica_heatmap_data", "replica_table", "timeline", "timeline_data",
        "sequence_diagram", "sequence_diagram_data", "divergence_curve", "divergence_data",
        "t_visibility_curve", "availability_consistency_bars", "summary_dict", "update_figure",
        "ROLE_COLOURS", "OUTCOME_COLOURS", "NODE_COLOURS", "OKABE_ITO", "ROLE_ORDER"],
    "caplab.widgets": [
        "ClusterPanel", "SideBySidePanel", "CompareAndContrast", "StalenessPanel", "ActionLog",
        "Action", "replay", "Predict", "TxnPanel", "MonitorPanel", "BusPanel",
        "MessageAnimation", "CounterexampleStepper", "EventsPanel"],
    "caplab.labkit": ["Exercise", "Outcome", "Incorrect", "CORRECT", "INCORRECT",
                      "NOT_ATTEMPTED"],
    "caplab.bus": [
        "check", "kafka", "nats", "rabbit"],
    "caplab.bus.kafka": [
        "Consumer", "KafkaLog", "Producer", "murmur2", "partition_for"],
    "caplab.bus.rabbit": [
        "Broker", "Consumer", "EXCHANGE_TYPES", "Envelope", "HANDLER_OUTCOMES",
        "OPTIONS", "Publisher", "check_topic_pattern", "headers_match", "topic_matches"],
    "caplab.bus.nats": [
        "JS_OUTCOMES", "Nats", "NatsClient", "OPTIONS", "check_pattern",
        "check_subject", "subject_matches"],
    "caplab.txn": [
        "CheckResult", "Choreography", "CompensationFailed", "PHASES", "Sagas", "Step",
        "TwoPhaseCommit", "check_atomicity", "check_invariants", "lock_statistics"],
    "caplab.resilience": [
        "Backoff", "BreakerConfig", "Bulkhead", "CLOSED", "Call", "CallReply",
        "CallResult", "CallerClient", "CircuitBreaker", "Dependency", "HALF_OPEN",
        "JITTERS", "OPEN", "ResilientCaller", "Retry", "RpcEndpoint", "Transition",
        "WINDOW_TYPES", "add_caller", "breaker_series", "call_series", "open_loop"],
    "caplab.services": [
        "Autoscaler", "BIG", "Call", "Deployment", "Done", "Failed", "Instance",
        "LoadBalancer", "LoadClient", "LoadProfile", "Machine", "OPTIONS", "POLICIES",
        "SMALL", "Tier", "compare_options", "paging_factor", "percentile", "sale_spike",
        "summary", "time_series"],
    "caplab.events": [
        "CommandError", "CustomerOrders", "Event", "EventError", "EventShop",
        "LogTransport", "Order", "OrderSummary", "SearchIndex", "Transport", "decode",
        "encode", "validate"],
    # packages of submodules: each name is a module, imported on use
    "caplab.labkit.labs": ["lab01", "lab02", "lab03", "lab04", "lab05", "lab06", "lab07",
                           "lab08", "lab09", "lab10", "lab11", "lab12"],
    "caplab.labkit.course": ["nb01", "nb02", "nb03", "nb04", "nb05", "nb06", "nb07", "nb09"],
    "caplab.analyses.staleness": [
        "Legs", "PRESETS", "MAX_TRIALS", "visibility_times_ms", "t_visibility",
        "t_at_probability", "consistent_immediately"],
}


@pytest.mark.parametrize("package", PUBLIC_API)
def test_all_is_exactly_the_public_api(package):
    """__all__ lists exactly the expected names, each once."""
    names = importlib.import_module(package).__all__
    assert len(names) == len(set(names)), f"{package}.__all__ repeats a name"
    expected = PUBLIC_API[package]
    assert sorted(names) == sorted(expected), (
        f"{package}.__all__: added {sorted(set(names) - set(expected))}, "
        f"dropped {sorted(set(expected) - set(names))}")


@pytest.mark.parametrize("package", PUBLIC_API)
def test_every_name_in_all_exists(package):
    """Every name in __all__ is an attribute of the package (or one of its submodules), so
    ``from package import *`` works."""
    module = importlib.import_module(package)
    for name in module.__all__:
        if not hasattr(module, name):
            importlib.import_module(f"{package}.{name}")   # a submodule listed by name
        assert hasattr(module, name), f"{package}.{name}"
    namespace: dict = {}
    exec(f"from {package} import *", namespace)
    assert set(module.__all__) <= set(namespace)


def test_all_names_exist():
    """Every name in caplab.__all__ is importable from caplab."""
    for name in caplab.__all__:
        assert hasattr(caplab, name), name


def test_simulator_core_imports_no_ui_or_dataframe_library():
    """Importing the simulator and both modes pulls in no pandas, plotly, networkx, ipywidgets."""
    code = ("import sys, caplab, caplab.kv.cp, caplab.kv.ap, caplab.kv.workload;"
            "bad = sorted(m for m in ('pandas', 'plotly', 'networkx', 'ipywidgets', 'numpy')"
            " if m in sys.modules); print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
