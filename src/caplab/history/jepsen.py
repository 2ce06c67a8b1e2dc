"""Import Jepsen and Knossos histories written in EDN (Clojure's data notation), the format
Jepsen stores every test's ``history.edn`` in and Knossos ships its sample histories in.

One operation map per event: ``{:process 0, :type :invoke, :f :write, :value 3}``; ``:type``
is ``:invoke``, ``:ok``, ``:fail`` or ``:info``, and a completion follows its process's
invocation (Jepsen's pairing rule). The events come as a vector, a list, or one map per line;
``;`` comments are allowed. Parsing is the ``edn_format`` package's (a maintained EDN reader),
never a regular expression. Events are numbered in file order and that number is their time
(``invoke_ms`` / ``complete_ms``), which keeps real-time order, as for the Porcupine corpus.

Only single-register operations are read (``:read``, ``:write``, ``:cas``, as ``get``, ``put``,
``cas``); events of a non-numeric process (``:nemesis``) are left out. Check the records with
``cas_register_model(semantics="knossos", initial=0)`` (:func:`load_knossos` returns both).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import HistoryError
from .models import Model, cas_register_model
from .porcupine import pair_events

__all__ = ["parse_jepsen_edn", "load_jepsen_edn", "load_knossos", "REGISTER_KEY"]

#: The key of the single register these histories talk to.
REGISTER_KEY = "register"
_OPS = {"read": "get", "write": "put", "cas": "cas"}
_KINDS = ("invoke", "ok", "fail", "info")


def _edn():
    try:
        import edn_format
    except ImportError:  # pragma: no cover - it is in requirements.txt
        raise HistoryError("reading EDN needs the edn_format package (pip install "
                           "edn_format, pinned in requirements.txt)") from None
    return edn_format


def _plain(value, edn):
    """EDN values as plain Python: keywords as their names, vectors and lists as tuples."""
    if isinstance(value, (edn.Keyword, edn.Symbol)):
        return value.name
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(_plain(v, edn) for v in value)
    return value


def _events(forms, source, edn) -> list:
    if len(forms) == 1 and isinstance(forms[0], Sequence):
        forms = list(forms[0])  # a vector or list of maps
    events = []
    for n, form in enumerate(forms, 1):
        if not hasattr(form, "items"):
            raise HistoryError(f"{source}: event {n} is not a map: {form!r}")
        event = {_plain(k, edn): _plain(v, edn) for k, v in form.items()}
        process, kind, f = event.get("process"), event.get("type"), event.get("f")
        if not isinstance(process, int) or isinstance(process, bool):
            continue  # the nemesis and other non-client processes
        if kind not in _KINDS:
            raise HistoryError(f"{source}: event {n}: unknown :type {kind!r}; allowed: "
                               f"{', '.join(_KINDS)}")
        if f not in _OPS:
            raise HistoryError(f"{source}: event {n}: unknown :f {f!r}; allowed: "
                               f"{', '.join(_OPS)}")
        events.append((n, process, kind, _OPS[f], REGISTER_KEY, event.get("value")))
    return events


def parse_jepsen_edn(text: str, *, source: str = "<edn>") -> list[dict]:
    """Parse a Jepsen/Knossos EDN history into caplab history records.

    Args:
        text: the EDN text.
        source: a name for error messages (the file).

    Returns:
        Records on the key :data:`REGISTER_KEY` (``get`` / ``put`` / ``cas``, cas values as
        ``(expected, new)`` tuples, ``nil`` as ``None``); an operation that never completes,
        or completes ``:info``, has outcome ``info``.

    Raises:
        HistoryError: text that is not EDN, an event that is not a map, an unknown ``:type``
            or ``:f``, or a completion without an invocation.

    Example:
        >>> recs = parse_jepsen_edn('[{:process 0, :type :invoke, :f :write, :value 3} '
        ...                         ' {:process 0, :type :ok, :f :write, :value 3}]')
        >>> [(r["op"], r["value"], r["outcome"]) for r in recs]
        [('put', 3, 'ok')]
    """
    edn = _edn()
    try:
        forms = edn.loads_all(text)
    except Exception as exc:  # edn_format raises its own EDNDecodeError and ply's errors
        raise HistoryError(f"{source}: not EDN: {exc}") from None
    return pair_events(_events(forms, source, edn), source, timed_out_fails=False)


def load_jepsen_edn(path: str | Path) -> list[dict]:
    """Load a Jepsen/Knossos EDN history file (see :func:`parse_jepsen_edn`).

    Example:
        >>> from caplab.history.porcupine import shared_data_dir
        >>> recs = load_jepsen_edn(shared_data_dir() / "knossos/bad/immediate-failure.edn")
        ...                                                           # doctest: +SKIP
    """
    path = Path(path)
    return parse_jepsen_edn(path.read_text(), source=str(path))


def load_knossos(path: str | Path) -> tuple[list[dict], Model]:
    """Load a Knossos sample history and the model Knossos checks it with: its semantics, and
    the initial value 0 (Knossos's ``test-examples`` checks ``data/cas-register`` with
    ``(model/cas-register 0)``).

    Returns:
        ``(records, cas_register_model(semantics="knossos", initial=0))``.
    """
    return load_jepsen_edn(path), cas_register_model(semantics="knossos", initial=0)
