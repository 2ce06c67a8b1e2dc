"""Acceptance: the checker agrees with Porcupine's verdict on every file of its corpus."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from caplab.check import LINEARIZABLE, NOT_LINEARIZABLE, check_linearizability
from caplab.history.porcupine import load_porcupine, porcupine_dir, read_expected

CORPUS = porcupine_dir()
#: Without the corpus, one placeholder case, so the porcupine_corpus fixture can skip it (or, in
#: CI, fail it) instead of pytest quietly skipping an empty parameter set.
MISSING = [("<corpus missing>", True)]


def _expected():
    if not (CORPUS / "expected.txt").exists():
        return {}
    return read_expected(CORPUS / "expected.txt")


@pytest.mark.parametrize("name,linearizable", sorted(_expected().items()) or MISSING)
def test_agrees_with_porcupine(porcupine_corpus, name, linearizable):
    """Verdict equals expected.txt (never unknown at the default budget)."""
    records, model = load_porcupine(porcupine_corpus / name)
    result = check_linearizability(records, model)
    assert result.verdict == (LINEARIZABLE if linearizable else NOT_LINEARIZABLE), name
    if not linearizable:
        assert result.bad_ops and result.explain().startswith("not linearizable")


def test_corpus_is_complete(porcupine_corpus):
    """Every history file in the corpus has a verdict, except the empty etcd_095."""
    files = sorted(p.relative_to(porcupine_corpus).as_posix()
                   for p in list(porcupine_corpus.glob("kv/*.txt"))
                   + list(porcupine_corpus.glob("jepsen/*.log")))
    assert set(files) - set(_expected()) == {"jepsen/etcd_095.log"}
    records, _ = load_porcupine(porcupine_corpus / "jepsen/etcd_095.log")
    assert records == []


def _run_without_corpus(tmp_path, ci: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["CAPLAB_SHARED"] = str(tmp_path)         # a shared folder with no data/porcupine in it
    if ci is not None:
        env["CI"] = ci
    this = Path(__file__)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", str(this),
         "-k", "not without_corpus"],
        cwd=this.parents[2], env=env, capture_output=True, text=True, timeout=300)


def test_without_corpus_ci_fails_the_run(tmp_path):
    """CI=true and no corpus: the acceptance tests fail (naming the folder), not skip."""
    out = _run_without_corpus(tmp_path, "true")
    assert out.returncode != 0, out.stdout
    assert "Porcupine corpus not found" in out.stdout and "in CI" in out.stdout
    assert str(tmp_path / "data" / "porcupine") in out.stdout


def test_without_corpus_outside_ci_skips_with_a_message(tmp_path):
    """Outside CI and no corpus: the acceptance tests are skipped, saying where they looked."""
    out = _run_without_corpus(tmp_path, None)
    assert out.returncode == 0, out.stdout
    assert "skipped" in out.stdout and "passed" not in out.stdout
    assert "Porcupine corpus not found" in out.stdout
