"""Import Jepsen-style histories: the Porcupine test corpus (key-value and etcd CAS register).

Porcupine (github.com/anishathalye/porcupine, MIT) ships histories recorded by Jepsen with their
verdicts; caplab checks itself against them. Two formats are read, both into caplab history
records (dicts with the columns of :data:`caplab.history.COLUMNS`), so every checker accepts
them. The logs carry no timestamps, only the order of events, so an event's time is its line
number: ``invoke_ms`` / ``complete_ms`` are line numbers, which preserves real-time order.

- :func:`load_porcupine_kv`: EDN-like lines
  ``{:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}``;
  check with :func:`caplab.history.models.kv_model` ``(initial="")`` (a key starts as ``""``).
- :func:`load_jepsen_etcd`: Jepsen etcd logs ``INFO  jepsen.util - 2	:invoke	:cas	[3 0]``;
  check with :func:`caplab.history.models.cas_register_model` (``read`` is ``get``, ``write`` is
  ``put``; ``nil`` is ``None``; a ``:fail :cas`` observed another value; ``:info`` ops and
  ``:fail :read :timed-out`` have unknown outcome, ``info``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import HistoryError
from .models import Model, cas_register_model, kv_model

__all__ = ["load_porcupine_kv", "load_jepsen_etcd", "load_porcupine", "shared_data_dir",
           "porcupine_dir", "read_expected"]

ETCD_KEY = "etcd"
_KV_LINE = re.compile(
    r'\{:process (\d+), :type :(\w+), :f :(\w+), :key "([^"]*)", :value (nil|"[^"]*")\}')
_KV_OPS = {"get": "get", "put": "put", "append": "append"}
_ETCD_OPS = {"read": "get", "write": "put", "cas": "cas"}


def shared_data_dir() -> Path:
    """The shared data folder beside the repository (``../shared/data``), or ``$CAPLAB_SHARED``.

    ``CAPLAB_SHARED`` names the ``shared`` folder (the one holding ``data/``).

    Returns:
        The path, which may not exist (callers skip or raise with a clear message).

    Example:
        >>> (shared_data_dir() / "porcupine").name
        'porcupine'
    """
    env = os.environ.get("CAPLAB_SHARED")
    if env:
        return Path(env) / "data"
    # src/caplab/history/porcupine.py -> parents[3] is the repository; ../shared beside it.
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def porcupine_dir() -> Path:
    """The Porcupine corpus folder: ``shared_data_dir() / "porcupine"``."""
    return shared_data_dir() / "porcupine"


def read_expected(path: str | Path) -> dict[str, bool]:
    """Read Porcupine's ``expected.txt``: relative file name -> ``True`` if linearizable.

    Example:
        >>> exp = read_expected(porcupine_dir() / "expected.txt")  # doctest: +SKIP
        >>> exp["kv/c01-ok.txt"]  # doctest: +SKIP
        True
    """
    verdicts = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1] not in ("ok", "illegal"):
            raise HistoryError(f"{path}:{n}: expected '<file> ok|illegal', got {line!r}")
        verdicts[parts[0]] = parts[1] == "ok"
    return verdicts


def pair_events(events, path, *, timed_out_fails: bool = True) -> list[dict]:
    """Match each completion to the open invocation of its process (Jepsen's pairing rule).

    ``events`` are ``(time, process, kind, op, key, value)``; ``timed_out_fails``: a ``:fail``
    carrying ``:timed-out`` has an unknown outcome (the Porcupine etcd logs)."""
    open_ops: dict[int, dict] = {}
    records: list[dict] = []
    for line_no, process, kind, op, key, value in events:
        if kind == "invoke":
            if process in open_ops:
                raise HistoryError(f"{path}:{line_no}: process {process} invokes {op} while "
                                   f"its operation from line {open_ops[process]['invoke_ms']} "
                                   f"is still open")
            rec = {"id": len(records), "client": str(process), "op": op, "key": key,
                   "value": value, "invoke_ms": line_no, "complete_ms": None,
                   "outcome": "info", "node": None, "error": None}
            open_ops[process] = rec
            records.append(rec)
            continue
        rec = open_ops.pop(process, None)
        if rec is None:
            raise HistoryError(f"{path}:{line_no}: completion ({kind} {op}) without an "
                               f"invocation by process {process}")
        if rec["op"] != op:
            raise HistoryError(f"{path}:{line_no}: process {process} completes {op} but "
                               f"invoked {rec['op']}")
        rec["complete_ms"] = line_no
        if kind == "ok":
            rec["outcome"] = "ok"
            if op == "get":
                rec["value"] = value
        elif kind == "fail" and not (timed_out_fails and value == ":timed-out"):
            rec["outcome"] = "fail"
        else:
            # :info, or a :fail carrying :timed-out: the client does not know what happened.
            rec["outcome"] = "info"
            rec["error"] = "timed-out"
    return records


def load_porcupine_kv(path: str | Path) -> list[dict]:
    """Load a Porcupine key-value history (``kv/*.txt``) as caplab history records.

    Args:
        path: the file.

    Returns:
        Records with ops ``get`` / ``put`` / ``append``, keys and values as strings, and
        times equal to line numbers. Check them with ``kv_model(initial="")``.

    Raises:
        HistoryError: a line that does not parse, or a completion without an invocation.

    Example:
        >>> from caplab.check import check_linearizability
        >>> from caplab.history.models import kv_model
        >>> recs = load_porcupine_kv(porcupine_dir() / "kv/c01-ok.txt")  # doctest: +SKIP
        >>> check_linearizability(recs, kv_model(initial="")).ok  # doctest: +SKIP
        True
    """
    events = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        m = _KV_LINE.fullmatch(line.strip())
        if m is None or m.group(3) not in _KV_OPS:
            raise HistoryError(f"{path}:{n}: cannot parse {line!r}")
        process, kind, f, key, raw = m.groups()
        value = None if raw == "nil" else raw[1:-1]
        events.append((n, int(process), kind, _KV_OPS[f], key, value))
    return pair_events(events, path)


def _etcd_value(token: str, path, n):
    if token == "nil":
        return None
    if token == ":timed-out":
        return token
    if token.startswith("["):
        parts = token.strip("[]").split()
        if len(parts) != 2:
            raise HistoryError(f"{path}:{n}: cannot parse cas value {token!r}")
        return tuple(None if p == "nil" else int(p) for p in parts)
    try:
        return int(token)
    except ValueError:
        raise HistoryError(f"{path}:{n}: cannot parse value {token!r}") from None


def load_jepsen_etcd(path: str | Path) -> list[dict]:
    """Load a Jepsen etcd log (``jepsen/etcd_NNN.log``): one compare-and-set register.

    Args:
        path: the log; fields may be separated by tabs or runs of spaces.

    Returns:
        Records on the single key ``"etcd"``, ops ``get`` / ``put`` / ``cas``; check them
        with :func:`~caplab.history.models.cas_register_model`. An empty log gives ``[]``.

    Raises:
        HistoryError: a line that does not parse, or a completion without an invocation.

    Example:
        >>> recs = load_jepsen_etcd(porcupine_dir() / "jepsen/etcd_000.log")  # doctest: +SKIP
        >>> recs[0]["op"], recs[0]["key"]  # doctest: +SKIP
        ('get', 'etcd')
    """
    events = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        head, sep, rest = line.partition(" - ")
        fields = rest.split(None, 3)
        if not sep or len(fields) != 4 or fields[2][1:] not in _ETCD_OPS:
            raise HistoryError(f"{path}:{n}: cannot parse {line!r}")
        process, kind, f, raw = fields
        value = _etcd_value(raw.strip(), path, n)
        events.append((n, int(process), kind[1:], _ETCD_OPS[f[1:]], ETCD_KEY, value))
    return pair_events(events, path)


def load_porcupine(path: str | Path) -> tuple[list[dict], Model]:
    """Load any Porcupine corpus file and return ``(records, model to check them with)``.

    Example:
        >>> recs, model = load_porcupine(porcupine_dir() / "kv/c10-ok.txt")  # doctest: +SKIP
        >>> model.name  # doctest: +SKIP
        'kv'
    """
    path = Path(path)
    if path.suffix == ".log":
        return load_jepsen_etcd(path), cas_register_model()
    return load_porcupine_kv(path), kv_model(initial="")
