"""Sequential models are pure functions; the Porcupine/Jepsen parsers read both formats."""

import pytest

from caplab.errors import HistoryError
from caplab.history import (UNKNOWN, cas_register_model, kv_model, load_jepsen_etcd,
                            load_porcupine_kv, register_model)
from caplab.history.porcupine import shared_data_dir


def test_register_steps():
    m = register_model()
    assert m.init() is None
    assert m.step(None, ("put", None, 3), True) == (True, 3)
    assert m.step(3, ("get", None, None), 3) == (True, 3)
    assert m.step(3, ("get", None, None), 4)[0] is False
    assert m.step(3, ("get", None, None), (3, 4))[0] is False  # siblings
    assert m.step(3, ("get", None, None), UNKNOWN)[0] is True


def test_cas_register_steps():
    m = cas_register_model()
    cas = ("cas", None, (1, 2))
    assert m.step(1, cas, True) == (True, 2)
    assert m.step(0, cas, True)[0] is False
    assert m.step(0, cas, False) == (True, 0)
    assert m.step(1, cas, False)[0] is False
    assert m.step(1, cas, UNKNOWN) == (True, 2) and m.step(0, cas, UNKNOWN) == (True, 0)
    assert m.describe_operation(cas, True) == "cas(1, 2) -> ok"


def test_kv_model_partition_and_append():
    m = kv_model(initial="")
    rec = {"op": "append", "key": "k", "value": "x", "outcome": "ok"}
    assert m.partition(rec) == "k"
    assert m.encode(rec) == (("append", "k", "x"), True)
    assert m.step("ab", ("append", "k", "c"), True) == (True, "abc")
    assert m.encode({**rec, "outcome": "fail"}) is None
    assert m.encode({"op": "get", "key": "k", "value": 1, "outcome": "info"}) is None
    assert m.describe_operation(("append", "k", "c"), UNKNOWN) == "append('k', 'c') -> ?"
    state = "ab"
    m.step(state, ("put", "k", "z"), True)
    assert state == "ab"  # pure


def test_shared_data_dir_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("CAPLAB_SHARED", str(tmp_path))
    assert shared_data_dir() == tmp_path / "data"


def test_parse_kv_lines(tmp_path):
    f = tmp_path / "h.txt"
    f.write_text('{:process 1, :type :invoke, :f :get, :key "3", :value nil}\n'
                 '{:process 2, :type :invoke, :f :append, :key "3", :value "x 2 0 y"}\n'
                 '{:process 1, :type :ok, :f :get, :key "3", :value ""}\n'
                 '{:process 2, :type :ok, :f :append, :key "3", :value "x 2 0 y"}\n')
    recs = load_porcupine_kv(f)
    assert [(r["client"], r["op"], r["value"], r["invoke_ms"], r["complete_ms"], r["outcome"])
            for r in recs] == [("1", "get", "", 1, 3, "ok"),
                               ("2", "append", "x 2 0 y", 2, 4, "ok")]


def test_parse_etcd_lines(tmp_path):
    f = tmp_path / "e.log"
    f.write_text("INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]\n"
                 "INFO  jepsen.util - 0   :invoke :read   nil\n"
                 "INFO  jepsen.util - 4\t:invoke\t:write\t1\n"
                 "INFO  jepsen.util - 2\t:fail\t:cas\t[3 0]\n"
                 "INFO  jepsen.util - 0\t:fail\t:read\t:timed-out\n"
                 "INFO  jepsen.util - 4\t:info\t:write\t:timed-out\n")
    recs = load_jepsen_etcd(f)
    assert [(r["op"], r["value"], r["outcome"]) for r in recs] == [
        ("cas", (3, 0), "fail"), ("get", None, "info"), ("put", 1, "info")]


@pytest.mark.parametrize("text,match", [
    ("garbage\n", "cannot parse"),
    ('{:process 1, :type :ok, :f :get, :key "3", :value ""}\n', "completion .* without an invocation"),
])
def test_parse_errors_name_the_line(tmp_path, text, match):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(HistoryError, match=f"bad.txt:1: {match}"):
        load_porcupine_kv(f)


def test_corpus_files_parse(porcupine_corpus):
    recs = load_jepsen_etcd(porcupine_corpus / "jepsen/etcd_000.log")
    assert recs and {r["key"] for r in recs} == {"etcd"}
    kv = load_porcupine_kv(porcupine_corpus / "kv/c10-ok.txt")
    assert {r["op"] for r in kv} <= {"get", "put", "append"}
