"""The examples in the bus packages' docstrings run and give what they show."""

import doctest
import importlib
import pkgutil

import pytest

import caplab.bus.nats
import caplab.bus.rabbit

MODULES = [f"{pkg.__name__}.{m.name}" for pkg in (caplab.bus.rabbit, caplab.bus.nats)
           for m in pkgutil.iter_modules(pkg.__path__)] + ["caplab.bus.rabbit", "caplab.bus.nats"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    """Every example not marked +SKIP runs and prints what its docstring says."""
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
