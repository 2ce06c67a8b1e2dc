"""Panels: ipywidgets that wire buttons and sliders to cluster actions and redraw the views of
:mod:`caplab.viz` in place. No protocol logic and no drawing logic lives here; every callback's
error is shown in the panel's status area, never swallowed.

Example:
    >>> from caplab.widgets import ClusterPanel        # doctest: +SKIP
    >>> ClusterPanel(mode="cp", nodes=5, seed=1)       # doctest: +SKIP
"""

from .bus_panel import BusPanel
from .cluster_panel import ClusterPanel
from .animated import MessageAnimation
from .counterexample import CounterexampleStepper
from .compare import CompareAndContrast, SideBySidePanel
from .monitor_panel import MonitorPanel
from .events_panel import EventsPanel
from .predict import Predict
from .replay import Action, ActionLog, replay
from .staleness_panel import StalenessPanel
from .txn_panel import TxnPanel

__all__ = ["ClusterPanel", "SideBySidePanel", "CompareAndContrast", "StalenessPanel",
           "ActionLog", "Action", "replay", "Predict", "TxnPanel", "MonitorPanel", "BusPanel",
           "MessageAnimation", "CounterexampleStepper", "EventsPanel"]
