"""Jepsen/Knossos EDN histories are read with an EDN reader, and checked with Knossos's
semantics agree with Knossos's own verdicts (github.com/jepsen-io/knossos, data/cas-register:
good/ linearizable, bad/ not; Knossos checks them with ``(model/cas-register 0)``)."""

import os

import pytest

from caplab.check import check_linearizability
from caplab.errors import HistoryError, UnknownNameError
from caplab.history.jepsen import REGISTER_KEY, load_knossos, parse_jepsen_edn
from caplab.history.models import cas_register_model
from caplab.history.porcupine import shared_data_dir

KNOSSOS = shared_data_dir() / "knossos"
FILES = sorted(KNOSSOS.glob("*/*.edn"))


def test_knossos_samples_are_present():
    """The shared Knossos samples are there (in CI a missing folder fails, never skips)."""
    if not FILES and not os.environ.get("CI"):
        pytest.skip(f"Knossos samples not found at {KNOSSOS}; set CAPLAB_SHARED")
    assert {f.parent.name for f in FILES} == {"good", "bad"}


@pytest.mark.parametrize("path", FILES, ids=[f"{f.parent.name}/{f.name}" for f in FILES])
def test_checker_agrees_with_knossos_verdict(path):
    """good/ files are linearizable and bad/ files are not, under Knossos's semantics."""
    records, model = load_knossos(path)
    result = check_linearizability(records, model)
    assert result.ok is (path.parent.name == "good"), result.explain()


def test_vector_list_or_one_map_per_line_with_comments():
    """The three shapes Jepsen and Knossos write parse to the same records."""
    ops = ('{:process 0, :type :invoke, :f :cas, :value [1 2]}\n'
           '; a comment\n'
           '{:process :nemesis, :type :info, :f :kill, :value nil}\n'
           '{:process 0, :type :ok, :f :cas, :value [1 2]}\n'
           '{:process 1, :type :invoke, :f :read, :value nil}\n'
           '{:process 1, :type :ok, :f :read, :value 2}\n'
           '{:process 2, :type :invoke, :f :write, :value 3}\n')
    lines = parse_jepsen_edn(ops)
    assert parse_jepsen_edn("[" + ops + "]") == lines == parse_jepsen_edn("(" + ops + ")")
    assert [(r["client"], r["op"], r["value"], r["outcome"]) for r in lines] == [
        ("0", "cas", (1, 2), "ok"), ("1", "get", 2, "ok"), ("2", "put", 3, "info")]
    assert {r["key"] for r in lines} == {REGISTER_KEY}
    # times are event numbers in file order (the nemesis's events count, comments do not)
    assert (lines[0]["invoke_ms"], lines[0]["complete_ms"]) == (1, 3)


@pytest.mark.parametrize("text,message", [
    ("[{:process 0, :type :invoke, :f :read", "not EDN"),
    ("[{:process 0, :type :invoke, :f :incr, :value 1}]", "unknown :f 'incr'"),
    ("[{:process 0, :type :done, :f :read, :value 1}]", "unknown :type 'done'"),
    ("[{:process 0, :type :ok, :f :read, :value 1}]", "without an invocation"),
    ("[1 2]", "not a map"),
])
def test_bad_edn_histories_are_refused_with_the_reason(text, message):
    """Malformed input raises HistoryError naming what is wrong."""
    with pytest.raises(HistoryError, match=message):
        parse_jepsen_edn(text)


FAILED_CAS = parse_jepsen_edn("""
{:process 0, :type :invoke, :f :write, :value 1}
{:process 0, :type :ok, :f :write, :value 1}
{:process 1, :type :invoke, :f :cas, :value [1 2]}
{:process 1, :type :fail, :f :cas, :value [1 2]}
{:process 2, :type :invoke, :f :read, :value nil}
{:process 2, :type :ok, :f :read, :value nil}
""")


def test_a_failed_cas_never_happened_for_knossos_but_observed_for_porcupine():
    """Knossos drops :fail ops and reads nil as unknown; Porcupine's etcd model does not."""
    knossos = check_linearizability(FAILED_CAS, cas_register_model(semantics="knossos"))
    porcupine = check_linearizability(FAILED_CAS, cas_register_model())
    assert knossos.ok and porcupine.valid is False
    assert knossos.details["model"] == "cas-register (knossos)"
    without_read = FAILED_CAS[:2]
    assert check_linearizability(without_read, cas_register_model()).valid is False


def test_unknown_semantics_is_refused():
    """A semantics that is neither porcupine nor knossos names the allowed ones."""
    with pytest.raises(UnknownNameError, match="'jepsen'.*'porcupine', 'knossos'"):
        cas_register_model(semantics="jepsen")
