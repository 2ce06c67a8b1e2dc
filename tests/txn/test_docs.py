"""The examples in the txn modules' docstrings run as written."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import caplab.txn

MODULES = sorted(m.name for m in pkgutil.iter_modules(caplab.txn.__path__, "caplab.txn."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    """Every ``>>>`` example of the module gives the output it shows."""
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
