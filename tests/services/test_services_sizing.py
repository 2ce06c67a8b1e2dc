"""Sizing plans for the sale spike (lab 12): built as described, checked before anything runs,
and the same seed gives the same numbers."""

import pytest

from caplab.errors import ConfigError, UnknownNameError
from caplab.services.sizing import build_plan, run_sizing

PLAN = {"architecture": "split", "machine": {"cores": 2, "speed": 1.0, "memory_gb": 4.0},
        "min_instances": 2, "max_instances": 6, "target_utilisation": 0.6, "cooldown_ms": 2000}


def test_a_split_plan_scales_the_sale_service_only():
    """The sale tier gets the chosen machine and min instances; catalog and checkout one each."""
    d, tier = build_plan(PLAN)
    assert tier == "sale" and len(d.tier("sale").live) == 2
    assert d.tier("sale").machine.memory_gb == 4.0
    assert [len(d.tier(t).live) for t in ("catalog", "checkout")] == [1, 1]


def test_same_seed_same_numbers():
    """Two runs of one seed report the same latency, errors and cost."""
    keep = ("p99_ms", "error_rate", "cost_per_hour", "max_instances_used")
    a, b = run_sizing(PLAN, 2), run_sizing(PLAN, 2)
    assert [a[k] for k in keep] == [b[k] for k in keep]


def test_bad_plans_are_refused_by_name():
    """A missing key, an unknown architecture and a bad machine are named."""
    with pytest.raises(ConfigError, match="keys architecture, machine"):
        build_plan({"architecture": "split"})
    with pytest.raises(UnknownNameError, match="'micro'"):
        build_plan({**PLAN, "architecture": "micro"})
    with pytest.raises(ConfigError, match="machine must be a dict"):
        build_plan({**PLAN, "machine": {"ghz": 5}})
