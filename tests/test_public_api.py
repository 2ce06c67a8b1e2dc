"""The public face: __all__ names exist, and the simulator core imports no UI library."""

import subprocess
import sys

import caplab


def test_all_names_exist():
    """Every name in caplab.__all__ is importable from caplab."""
    for name in caplab.__all__:
        assert hasattr(caplab, name), name


def test_simulator_core_imports_no_ui_or_dataframe_library():
    """Importing the simulator and both modes pulls in no pandas, plotly, networkx, ipywidgets."""
    code = ("import sys, caplab, caplab.kv.cp, caplab.kv.ap, caplab.kv.workload;"
            "bad = sorted(m for m in ('pandas', 'plotly', 'networkx', 'ipywidgets', 'numpy')"
            " if m in sys.modules); print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
