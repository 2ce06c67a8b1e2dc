"""Sequential specifications (models) of the objects a history talks to, as pure functions.

A model says what a single, correct, non-replicated copy of the object would do; the
linearizability checker (:mod:`caplab.check.linearizability`) searches for an order of the
history's operations that this model accepts. The interface follows Porcupine
(github.com/anishathalye/porcupine, ``model.go``): ``init()`` gives the initial state,
``step(state, input, output) -> (ok, new_state)`` says whether an operation with this input may
return this output from ``state``, ``describe_operation`` / ``describe_state`` render them for
people, and an optional ``partition`` splits a history into independent sub-histories (per
key: linearizability is *local*, Herlihy & Wing 1990, so each key can be checked alone).

Models never mutate a state: states are immutable and hashable (``None``, ints, strings,
tuples), because the checker memoises ``(linearized ops, state)`` pairs in a set.

One more function, ``encode(record) -> (input, output) | None``, turns a history row (a dict with
the columns of :data:`caplab.history.COLUMNS`) into the model's input and output, or ``None``
when the row constrains nothing (a ``fail`` write, an ``info`` read). This is where the meaning
of ``ok`` / ``fail`` / ``info`` for each operation lives, so the checker stays generic.

Models provided:

- :func:`register_model`: a read/write register (``get`` / ``put``).
- :func:`cas_register_model`: ``get`` / ``put`` / ``cas``, with a choice of what a ``fail``
  cas means. ``semantics="porcupine"`` (the default, Porcupine's etcd model): it *observed* a
  state other than its expected value, so it is a read, not a no-op. ``semantics="knossos"``
  (Knossos's ``cas-register`` and Jepsen's histories): a ``fail`` operation never happened,
  and a read that returned ``nil`` read an unknown value. The two give different verdicts
  on the same history (Knossos's mongodb-v0-ack-rollback samples).
- :func:`kv_model`: a key-value map with ``get`` / ``put`` / ``append`` / ``cas``, partitioned
  by key (each key is a register with append). ``fail`` operations did not happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Hashable

from ..errors import UnknownNameError
from .record import OPS

__all__ = ["Model", "UNKNOWN", "register_model", "cas_register_model", "kv_model",
           "CAS_SEMANTICS"]


class _Unknown:
    """The output of an operation whose result was never observed (outcome ``info``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self):
        return "UNKNOWN"


#: Output of an ``info`` operation: every step accepts it (Porcupine's ``unknown: true``).
UNKNOWN = _Unknown()


@dataclass(frozen=True)
class Model:
    """A sequential specification as pure functions (Porcupine's ``Model``).

    Attributes:
        name: Short name shown in results.
        init: ``() -> state``.
        step: ``(state, input, output) -> (ok, new_state)``; pure, never mutates ``state``.
        encode: ``(record) -> (input, output) | None``; ``None`` drops the row.
        describe_operation: ``(input, output) -> str``, e.g. ``"put('x', 1)"``.
        describe_state: ``(state) -> str``.
        partition: ``(record) -> key`` of the independent sub-history the row belongs to, or
            ``None`` to check the whole history at once.
        read_only: ``(input, output) -> bool``: True if the operation changes no state in any
            state where it is accepted (a read). Optional; it lets the checker commit such
            operations without trying alternatives, which must be sound, so when unsure: False.
        ops: the operation names a history for this model may hold (the key-value ones by
            default; :mod:`caplab.history.families` has models of queues, logs and
            transactions).
    """

    name: str
    init: Callable[[], Hashable]
    step: Callable[[Any, Any, Any], tuple[bool, Any]]
    encode: Callable[[dict], tuple[Any, Any] | None]
    describe_operation: Callable[[Any, Any], str]
    describe_state: Callable[[Any], str] = repr
    partition: Callable[[dict], Hashable] | None = None
    read_only: Callable[[Any, Any], bool] | None = None
    #: the operation names a history for this model may hold (checked before encoding)
    ops: tuple = OPS


def _single(value):
    """The single value a read returned, or raise ``ValueError`` for concurrent siblings.

    AP stores with vector clocks may return several siblings as a tuple; a register holds one
    value, so a read returning two siblings can never be linearized (a 1-tuple is its value).
    """
    if isinstance(value, tuple):
        if len(value) == 1:
            return value[0]
        raise ValueError("siblings")
    if isinstance(value, list):  # values read back from a DataFrame or JSON
        return tuple(value)
    return value


def _describe(inp, out) -> str:
    op, key, arg = inp
    where = "" if key is None else f"{key!r}"
    if op == "get":
        got = "?" if out is UNKNOWN else repr(out)
        return f"get({where}) -> {got}"
    if op == "cas":
        expected, new = arg
        result = {True: "ok", False: "fail"}.get(out, "?") if out is not UNKNOWN else "?"
        sep = ", " if where else ""
        return f"cas({where}{sep}{expected!r}, {new!r}) -> {result}"
    sep = ", " if where else ""
    suffix = " -> ?" if out is UNKNOWN else ""
    return f"{op}({where}{sep}{arg!r}){suffix}"


def _append(state, value):
    # Strings concatenate (Porcupine's kv model); any other value is kept as a tuple of the
    # appended items, which a read returning a list or tuple of the same items matches.
    if isinstance(value, str) and (state is None or isinstance(state, str)):
        return value if state is None else state + value
    items = () if state is None else (state if isinstance(state, tuple) else (state,))
    return items + (value,)


def _make_encode(ops: tuple[str, ...], *, fail_cas_observes: bool, nil_read_unknown=False):
    def encode(record: dict):
        op = record["op"]
        if op == "delete" and "put" in ops:
            # A delete writes "no value": a later read returns None, as for a key never written.
            record = {**record, "op": "put", "value": None}
            op = "put"
        if op not in ops:
            raise ValueError(f"operation {op!r} is not in this model; allowed: "
                             f"{', '.join(ops + (('delete',) if 'put' in ops else ()))}")
        outcome = record["outcome"]
        key = record.get("key")
        value = record.get("value")
        if op == "cas":
            try:
                expected, new = value
            except (TypeError, ValueError):
                raise ValueError(f"cas value must be a pair (expected, new), got {value!r}")
            inp = ("cas", key, (expected, new))
            if outcome == "ok":
                return inp, True
            if outcome == "fail":
                # etcd/Jepsen: a failed cas compared and found another value, so it is a read.
                return (inp, False) if fail_cas_observes else None
            return inp, UNKNOWN
        if outcome == "fail":
            return None  # definitely did not happen
        if op == "get":
            if outcome == "info":
                return None  # an unknown read constrains nothing
            if value is None and nil_read_unknown:
                return ("get", key, None), UNKNOWN  # Knossos: nil is "did not see"
            return ("get", key, None), value
        return (op, key, value), (UNKNOWN if outcome == "info" else True)
    return encode


def _step(state, inp, out):
    op, _key, arg = inp
    if op == "get":
        if out is UNKNOWN:
            return True, state
        try:
            got = _single(out)
        except ValueError:
            return False, state
        return got == state, state
    if op == "put":
        return True, arg
    if op == "append":
        return True, _append(state, arg)
    # cas: Porcupine's etcd model. ok -> state was `expected`; fail -> it was not; unknown -> either.
    expected, new = arg
    matches = state == expected
    if out is UNKNOWN:
        return True, (new if matches else state)
    if out:
        return matches, (new if matches else state)
    return not matches, state


def _read_only(inp, out) -> bool:
    # A read, or a cas that observed another value (it compared and wrote nothing).
    return inp[0] == "get" or (inp[0] == "cas" and out is False)


def _init_none():
    return None


def register_model() -> Model:
    """A read/write register: ``get`` returns the last ``put`` value (``None`` before any).

    Returns:
        A :class:`Model` for histories of ``get`` and ``put`` on one register (no partition).

    Example:
        >>> m = register_model()
        >>> m.step(m.init(), ("put", None, 1), True)
        (True, 1)
    """
    return Model("register", _init_none, _step,
                 _make_encode(("get", "put"), fail_cas_observes=False), _describe,
                 read_only=_read_only)


#: What a history's ``fail`` cas and ``nil`` read mean, per checker (see
#: :func:`cas_register_model`).
CAS_SEMANTICS = ("porcupine", "knossos")


def cas_register_model(*, semantics: str = "porcupine", initial: Any = None) -> Model:
    """A compare-and-set register: ``get`` / ``put`` / ``cas`` on one value.

    ``cas`` with value ``(expected, new)``: outcome ``ok`` means the state was ``expected`` and
    becomes ``new``; ``info`` may or may not have taken effect. What ``fail`` means differs
    between the two checkers this model follows, so it is a choice:

    - ``"porcupine"`` (Porcupine's etcd model, for the Jepsen etcd logs in its corpus): a
      ``fail`` cas completed and *observed* a state other than ``expected`` (it changes
      nothing, but constrains the state); a read returning ``None`` read the absent value.
    - ``"knossos"`` (Knossos's ``cas-register``, for Jepsen and Knossos EDN histories): a
      ``fail`` operation never happened (``knossos.history`` drops it), and a read whose value
      is ``nil`` read an unknown value. With Porcupine's reading, some of Knossos's own
      linearizable samples (mongodb-v0-ack-rollback) are called non-linearizable.

    Args:
        semantics: ``"porcupine"`` or ``"knossos"``.
        initial: the register's value before any write (Knossos's tests check its
            ``data/cas-register`` samples with ``(cas-register 0)``, so 0 for those).

    Returns:
        A :class:`Model` over ``get`` / ``put`` / ``cas`` on one register (no partition),
        named ``"cas-register"`` or ``"cas-register (knossos)"``.

    Raises:
        UnknownNameError: ``semantics`` is not one of :data:`CAS_SEMANTICS`.

    Example:
        >>> m = cas_register_model()
        >>> m.step(1, ("cas", None, (1, 2)), True)
        (True, 2)
        >>> m.step(1, ("cas", None, (0, 2)), False)
        (True, 1)
        >>> k = cas_register_model(semantics="knossos")
        >>> k.encode(dict(op="cas", key=None, value=(0, 2), outcome="fail")) is None
        True
    """
    if semantics not in CAS_SEMANTICS:
        raise UnknownNameError("cas-register semantics", semantics, list(CAS_SEMANTICS))
    knossos = semantics == "knossos"

    def init():
        return initial

    return Model("cas-register (knossos)" if knossos else "cas-register", init, _step,
                 _make_encode(("get", "put", "cas"), fail_cas_observes=not knossos,
                              nil_read_unknown=knossos), _describe,
                 read_only=_read_only)


def kv_model(*, initial: Any = None) -> Model:
    """A key-value map with ``get`` / ``put`` / ``append`` / ``cas``, partitioned by key.

    Each key is an independent register that starts as ``initial`` (``None``: absent; use
    ``""`` for Porcupine's kv histories); ``append`` concatenates strings. ``fail`` operations
    (including a failed cas) definitely did not happen and are dropped: in caplab a failed
    operation says nothing about the state.

    Args:
        initial: The value of a key that was never written.

    Returns:
        A :class:`Model` whose ``partition`` is the row's key.

    Example:
        >>> m = kv_model(initial="")
        >>> m.step("a", ("append", "k", "b"), True)
        (True, 'ab')
    """
    def init():
        return initial

    return Model("kv", init, _step,
                 _make_encode(("get", "put", "append", "cas"), fail_cas_observes=False),
                 _describe, partition=_key_of, read_only=_read_only)


def _key_of(record: dict):
    return record.get("key")
