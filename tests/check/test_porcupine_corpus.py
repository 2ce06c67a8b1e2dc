"""Acceptance: the checker agrees with Porcupine's verdict on every file of its corpus."""

import pytest

from caplab.check import LINEARIZABLE, NOT_LINEARIZABLE, check_linearizability
from caplab.history.porcupine import load_porcupine, porcupine_dir, read_expected

CORPUS = porcupine_dir()
pytestmark = pytest.mark.skipif(
    not (CORPUS / "expected.txt").exists(),
    reason=f"Porcupine corpus not found at {CORPUS}; set CAPLAB_SHARED to the shared folder")


def _expected():
    if not (CORPUS / "expected.txt").exists():
        return {}
    return read_expected(CORPUS / "expected.txt")


@pytest.mark.parametrize("name,linearizable", sorted(_expected().items()))
def test_agrees_with_porcupine(name, linearizable):
    """Verdict equals expected.txt (never unknown at the default budget)."""
    records, model = load_porcupine(CORPUS / name)
    result = check_linearizability(records, model)
    assert result.verdict == (LINEARIZABLE if linearizable else NOT_LINEARIZABLE), name
    if not linearizable:
        assert result.bad_ops and result.explain().startswith("not linearizable")


def test_corpus_is_complete():
    """Every history file in the corpus has a verdict, except the empty etcd_095."""
    files = sorted(p.relative_to(CORPUS).as_posix()
                   for p in list(CORPUS.glob("kv/*.txt")) + list(CORPUS.glob("jepsen/*.log")))
    assert set(files) - set(_expected()) == {"jepsen/etcd_095.log"}
    records, _ = load_porcupine(CORPUS / "jepsen/etcd_095.log")
    assert records == []
