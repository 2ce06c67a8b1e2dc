"""Lab 11: a circuit breaker and a retry policy that keep a service-level objective while a
dependency flaps.

The student's answer is a dict::

    {"timeout_ms": 100,
     "retry": {"max_attempts": 5, "jitter": "full", "base_ms": 20, "cap_ms": 400},
     "breaker": {"failure_rate_threshold": 80, "sliding_window_size": 20, ...} or None}

``breaker`` takes resilience4j's CircuitBreakerConfig options in snake case (those left out keep
resilience4j's defaults; see :class:`~caplab.resilience.BreakerConfig`); ``retry`` is
resilience4j's ``maxAttempts`` with an exponential backoff and a jitter kind of the AWS article.

The grader runs, for each seed, the two scenarios of :mod:`caplab.resilience.flapping`: users
calling a dependency that flaps (failing, slow and down periods on a seeded schedule), and
clients reconnecting together after a failover; the objective (:data:`OBJECTIVE`) must hold on
every seed. An Incorrect names the measured number, the objective and the seed.

Example::

    from caplab.labkit.labs import lab11
    lab11.q1.check(lab11.REFERENCE)
"""

from __future__ import annotations

from ...errors import CaplabError
from ...resilience import Backoff, BreakerConfig, Retry
from ...resilience.flapping import run_flapping, run_reconnect
from ..exercise import NotAttempted, not_valid
from ._common import Incorrect
from .lab05 import TieredExercise

__all__ = ["q1", "REFERENCE", "OBJECTIVE", "SEEDS", "policy_of", "measure"]

SEEDS = (1, 2, 3, 4, 5)

#: the objective, measured at the caller (users) and at the dependency
OBJECTIVE = {
    "success_rate_min": 0.70,    # calls answered by the dependency, while it flaps
    "p99_ms_max": 350,           # users' wait for any answer, success or error
    "amplification_max": 1.0,    # requests reaching the dependency per call
    "peak_load_max": 1.0,        # busiest 100 ms, as a share of its capacity, while it flaps
    "reconnect_peak_max": 2.0,   # busiest 100 ms when clients reconnect after a failover
    "reconnect_gave_up_max": 0,  # reconnecting clients whose retries ran out
}

REFERENCE = {
    "timeout_ms": 100,
    "retry": {"max_attempts": 5, "jitter": "full", "base_ms": 20, "cap_ms": 400},
    "breaker": {"failure_rate_threshold": 80, "sliding_window_size": 20,
                "minimum_number_of_calls": 10, "wait_duration_in_open_state_ms": 500,
                "permitted_number_of_calls_in_half_open_state": 3,
                "slow_call_duration_threshold_ms": 100, "slow_call_rate_threshold": 80},
}

_RETRY_KEYS = ("max_attempts", "jitter", "base_ms", "cap_ms")


def _no_placeholders(part, where: str) -> None:
    if isinstance(part, dict):
        missing = [k for k, v in part.items() if v is Ellipsis]
        if missing:
            raise NotAttempted(f"fill in {where}{', '.join(map(str, missing))} (still ...)")


def policy_of(answer) -> dict:
    """The caller options an answer describes: ``{"timeout_ms", "retry", "breaker"}``.

    Raises:
        NotAttempted: placeholders left.
        Incorrect: a malformed answer or a value resilience4j would refuse (named).

    Example:
        >>> policy_of(REFERENCE)["retry"].max_attempts
        5
    """
    if answer is None or answer is Ellipsis:
        raise NotAttempted('replace the placeholder ... with a dict {"timeout_ms": ..., '
                           '"retry": {...}, "breaker": {...}}')
    _no_placeholders(answer, "")
    if not isinstance(answer, dict) or set(answer) != {"timeout_ms", "retry", "breaker"}:
        raise Incorrect(f'answer with a dict with keys "timeout_ms", "retry", "breaker", got '
                        f"{answer!r}")
    retry, breaker = answer["retry"], answer["breaker"]
    _no_placeholders(retry, "retry: ")
    _no_placeholders(breaker, "breaker: ")
    if not isinstance(retry, dict) or not set(retry) <= set(_RETRY_KEYS) \
            or "max_attempts" not in retry:
        raise Incorrect(f"retry must be a dict with max_attempts and optionally jitter, base_ms, "
                        f"cap_ms, got {retry!r}")
    if breaker is not None and not isinstance(breaker, dict):
        raise Incorrect(f"breaker must be a dict of resilience4j options or None, got "
                        f"{breaker!r}")
    try:
        backoff = Backoff(retry.get("jitter", "full"), base_ms=retry.get("base_ms", 100),
                          cap_ms=retry.get("cap_ms", 10_000))
        policy = {"timeout_ms": answer["timeout_ms"],
                  "retry": Retry(retry["max_attempts"], backoff),
                  "breaker": None if breaker is None
                  else BreakerConfig(**{**breaker, "name": "yours"})}
        t = policy["timeout_ms"]
        if isinstance(t, bool) or not isinstance(t, int) or t < 1:
            raise not_valid(answer, f"timeout_ms must be a whole number of ms >= 1, got {t!r}")
    except CaplabError as e:
        raise not_valid(answer, str(e)) from None
    except TypeError as e:          # an unknown breaker option: say which ones exist
        raise not_valid(answer, f"{e}; breaker options are resilience4j's, e.g. "
                                f"failure_rate_threshold, sliding_window_size") from None
    return policy


def measure(answer, seed: int) -> dict:
    """Both scenarios of one seed: ``{"flapping": {...}, "reconnect": {...}}``, plain numbers
    (see :func:`caplab.resilience.flapping.run_flapping` and ``run_reconnect``)."""
    policy = policy_of(answer)
    flapping = run_flapping(policy, seed)
    flapping.pop("caller")
    return {"flapping": flapping, "reconnect": run_reconnect(policy, seed)}


def _why(policy: dict) -> str:
    """A nudge from the configuration, added to a failure's reason."""
    if policy["breaker"] is None:
        return " (no circuit breaker: every call keeps waiting on, and adding load to, a " \
               "dependency that is down or slow)"
    if policy["timeout_ms"] >= OBJECTIVE["p99_ms_max"]:
        return (f" (a timeout of {policy['timeout_ms']} ms is longer than the p99 objective: a "
                f"call to a slow or dead dependency waits that long, per attempt)")
    if policy["retry"].backoff.jitter == "none":
        return " (retries without jitter: calls that failed together retry together)"
    return ""


def _incorrect(reason: str, seed: int) -> Incorrect:
    """A wrong answer on ``seed``, naming once the call that runs that seed again with the
    skeleton's name for the answer (lab11.measure(policy, seed=N))."""
    return Incorrect(reason, seed=seed, replay=f"lab11.measure(policy, seed={seed})")


def _judge(m: dict, seed: int, policy: dict) -> None:
    o, f, r, why = OBJECTIVE, m["flapping"], m["reconnect"], _why(policy)
    if f["p99_ms"] > o["p99_ms_max"]:
        raise _incorrect(f"p99 latency at the caller was {f['p99_ms']} ms, above the objective "
                         f"of {o['p99_ms_max']} ms{why}", seed)
    if f["success_rate"] < o["success_rate_min"]:
        raise _incorrect(f"success rate at the caller was {f['success_rate']:.1%}, below the "
                         f"objective of {o['success_rate_min']:.0%} (breaker opened "
                         f"{f['opened']} time{'s' if f['opened'] != 1 else ''}){why}", seed)
    if f["amplification"] > o["amplification_max"]:
        raise _incorrect(f"the dependency received {f['amplification']:.2f} requests per call, "
                         f"above the objective of {o['amplification_max']:.1f}{why}", seed)
    if f["peak_load"] > o["peak_load_max"]:
        raise _incorrect(f"the dependency's busiest 100 ms (at {f['peak_at_ms']} ms) brought "
                         f"{f['peak_load']:.1f} times what it can serve, above "
                         f"{o['peak_load_max']:.1f}{why}", seed)
    if r["gave_up"] > o["reconnect_gave_up_max"]:
        raise _incorrect(f"after a 300 ms failover, {r['gave_up']} of 100 reconnecting clients "
                         f"gave up (objective: none): the retries (attempts, backoff) do not "
                         f"outlast it{why}", seed)
    if r["peak_load"] > o["reconnect_peak_max"]:
        raise _incorrect(f"when 100 clients reconnected after a failover, the dependency's "
                         f"busiest 100 ms (at {r['peak_at_ms']} ms) brought {r['peak_load']:.1f} "
                         f"times what it can serve, above {o['reconnect_peak_max']:.1f}: a retry "
                         f"wave{why}", seed)


def _grade(answer) -> str:
    policy = policy_of(answer)
    worst = {"p99_ms": 0, "success_rate": 1.0, "amplification": 0.0}
    for seed in SEEDS:
        m = measure(answer, seed)
        _judge(m, seed, policy)
        f = m["flapping"]
        worst = {"p99_ms": max(worst["p99_ms"], f["p99_ms"]),
                 "success_rate": min(worst["success_rate"], f["success_rate"]),
                 "amplification": max(worst["amplification"], f["amplification"])}
    return (f"the objective holds on all {len(SEEDS)} seeds: worst p99 {worst['p99_ms']} ms, "
            f"worst success rate {worst['success_rate']:.1%}, at most "
            f"{worst['amplification']:.2f} requests per call, and every reconnecting client "
            f"got through without a retry wave")


q1 = TieredExercise(
    "Lab 11, question 1: a breaker and retries for a flapping dependency", answer_name="policy",
    grader=_grade, reference=REFERENCE,
    hints=("Start from the objective: a call may take at most 350 ms at p99, including its "
           "retries. What does that say about the timeout of one attempt?",
           "Three mechanisms, three jobs: a short timeout bounds the wait; retries with jitter "
           "ride out transient errors and a short failover (spread out, so clients that failed "
           "together do not retry together); a breaker fails fast while the dependency is down "
           "or slow, which keeps both the latency and the load down. resilience4j's default "
           "breaker waits 60 s in OPEN: far longer than these outages.",
           "Try a timeout of about 100 ms; 5 attempts with full jitter, base 20 ms, cap 400 ms; "
           "a breaker that counts slow calls (threshold 100 ms) and opens on a high failure rate "
           "(80 %) over a short window (20 calls, minimum 10), so that transient errors (50 %) "
           "do not open it, with a short wait in OPEN (about 500 ms) and a few trial calls."),
    solution="""policy = {
    "timeout_ms": 100,
    "retry": {"max_attempts": 5, "jitter": "full", "base_ms": 20, "cap_ms": 400},
    "breaker": {"failure_rate_threshold": 80, "sliding_window_size": 20,
                "minimum_number_of_calls": 10, "wait_duration_in_open_state_ms": 500,
                "permitted_number_of_calls_in_half_open_state": 3,
                "slow_call_duration_threshold_ms": 100, "slow_call_rate_threshold": 80},
}""")
