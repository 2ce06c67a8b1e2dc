"""Services with capacity on the world: machines and instances (cores, clock speed, memory,
price), a time-varying load generator, load balancers, an autoscaler, monitoring series, the
sale-spike scenarios (scale-up against scale-out, a monolith against split services), and the
queueing-theory checks (Erlang C, one fast server against two slow ones, the Universal
Scalability Law). Submodules: :mod:`.sizing` runs a sizing plan through the spike (lab 12);
:mod:`.live` is the stepping facade of the live monitoring panel.
"""

from .autoscaler import Autoscaler
from .balancer import POLICIES, LoadBalancer
from .capacity import BIG, SMALL, Call, Done, Failed, Instance, Machine, paging_factor
from .deployment import Deployment, Tier
from .load import LoadClient, LoadProfile
from .monitor import percentile, summary, time_series
from .scenarios import OPTIONS, compare_options, sale_spike

__all__ = ["Machine", "Instance", "SMALL", "BIG", "Call", "Done", "Failed", "paging_factor",
           "LoadBalancer", "POLICIES", "LoadProfile", "LoadClient", "Deployment", "Tier",
           "Autoscaler", "percentile", "summary", "time_series", "OPTIONS", "sale_spike",
           "compare_options"]
