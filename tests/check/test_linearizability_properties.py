"""Property tests: the checker agrees with brute-force enumeration on small random histories."""

import itertools
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from caplab.check import NOT_LINEARIZABLE, check_linearizability
from caplab.history import cas_register_model, kv_model, register_model

MODELS = {"register": (register_model(), ("get", "put")),
          "cas": (cas_register_model(), ("get", "put", "cas")),
          "kv": (kv_model(initial=""), ("get", "put", "append"))}
# Few distinct values and long, overlapping operations: that is where searches go wrong
# (identical writes, timed-out writes of the value already held, reads pinning write order).
VALUES = {"register": [None, 1, 2], "cas": [None, 1, 2], "kv": ["", "a", "b", "ab", "ba"]}


def brute_force(records, model) -> bool:
    """Linearizable iff some order of the ops (every ok op, any subset of info ops) respects
    real time (a before b whenever a returned before b was invoked) and the model."""
    inf = float("inf")
    ops = []
    for r in records:
        pair = model.encode(r)
        if pair is not None:
            ops.append((pair, r["invoke_ms"], inf if r["outcome"] == "info" else r["complete_ms"],
                        r["outcome"] == "info"))
    required = [o for o in ops if not o[3]]
    optional = [o for o in ops if o[3]]
    for k in range(len(optional) + 1):
        for subset in itertools.combinations(optional, k):
            for perm in itertools.permutations(required + list(subset)):
                if any(perm[j][2] < perm[i][1] for i in range(len(perm))
                       for j in range(i + 1, len(perm))):
                    continue
                state, ok = model.init(), True
                for (inp, out), *_ in perm:
                    ok, state = model.step(state, inp, out)
                    if not ok:
                        break
                if ok:
                    return True
    return False


@st.composite
def histories(draw, kind):
    _model, ops = MODELS[kind]
    values = VALUES[kind]
    n_clients = draw(st.integers(1, 4))
    n_ops = draw(st.integers(0, 6))
    clock = {c: draw(st.integers(0, 5)) for c in range(n_clients)}
    records = []
    for i in range(n_ops):
        c = draw(st.integers(0, n_clients - 1))
        op = draw(st.sampled_from(ops))
        if op == "cas":
            value = (draw(st.sampled_from(values)), draw(st.sampled_from(values[1:])))
        elif op == "put":
            value = draw(st.sampled_from(values[1:]))
        elif op == "append":
            value = draw(st.sampled_from(["a", "b"]))
        else:
            value = draw(st.sampled_from(values))
        start = clock[c] + draw(st.integers(0, 3))
        end = start + draw(st.integers(0, 12))
        outcome = draw(st.sampled_from(["ok", "ok", "ok", "fail", "info"]))
        clock[c] = end + 1
        records.append({"id": i, "client": f"c{c}", "op": op, "key": "k", "value": value,
                        "invoke_ms": start, "complete_ms": end, "outcome": outcome})
    return records


@settings(max_examples=int(os.environ.get('CAPLAB_PROPERTY_EXAMPLES', 400)), deadline=None)
@given(st.sampled_from(sorted(MODELS)).flatmap(lambda k: st.tuples(st.just(k), histories(k))))
def test_agrees_with_brute_force(case):
    """On random histories of up to 6 ops (ok/fail/info), the search and enumeration agree."""
    kind, records = case
    model = MODELS[kind][0]
    result = check_linearizability(records, model)
    assert result.ok == brute_force(records, model), result.explain()
    if not result.ok:
        assert result.verdict == NOT_LINEARIZABLE
        assert result.bad_ops, "a violation names the operations that cannot be placed"
        assert not set(result.bad_ops) & set(result.prefix)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["get", "put", "append"]), st.sampled_from("xyz"),
                          st.sampled_from(["a", "b", "c"]), st.integers(0, 3)), max_size=25))
def test_single_client_without_faults_is_linearizable(steps):
    """A single client on a correct store (reads return what a dict holds) is linearizable."""
    store, records, t = {}, [], 0
    for i, (op, key, value, gap) in enumerate(steps):
        if op == "put":
            store[key] = value
        elif op == "append":
            store[key] = store.get(key, "") + value
        else:
            value = store.get(key)
        records.append({"id": i, "client": "solo", "op": op, "key": key, "value": value,
                        "invoke_ms": t, "complete_ms": t + gap, "outcome": "ok"})
        t += gap + 1
    assert check_linearizability(records, kv_model()).ok
