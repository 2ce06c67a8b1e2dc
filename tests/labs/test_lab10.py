"""Lab 10's grader: the reference and a newest-version-wins answer that deduplicates by event id
pass; answers without deduplication, with last-arrival-wins instead of versions, or dropping
early events fail with a reason and a seed; skeletons are Not attempted."""

import runpy
from pathlib import Path

from caplab.labkit.labs import lab10
from labreplay import run_named_replay

LAB = Path(__file__).resolve().parents[2] / "labs" / "lab10-projection"

STATUS = {"OrderPlaced": "placed", "OrderPaid": "paid", "OrderShipped": "shipped",
          "OrderDelivered": "delivered", "OrderCancelled": "cancelled"}


def _row(read_model, event):
    orders = read_model.setdefault("orders", {})
    read_model.setdefault("spent", {})
    return orders.setdefault(event["aggregate"], {"status": None, "amount": 0,
                                                  "customer": None, "version": 0})


def _money(read_model, event, row):
    spent = read_model["spent"]
    if event["type"] == "OrderPlaced":
        row.update(amount=event["body"]["amount"], customer=event["body"]["customer"])
        spent[row["customer"]] = spent.get(row["customer"], 0) + row["amount"]
    elif event["type"] == "OrderCancelled" and row["customer"] is not None:
        spent[row["customer"]] -= row["amount"]


def no_dedup(read_model, event):
    """Every delivery is applied; the status follows the highest version."""
    row = _row(read_model, event)
    _money(read_model, event, row)
    if event["version"] >= row["version"]:
        row.update(status=STATUS[event["type"]], version=event["version"])


def last_arrival_wins(read_model, event):
    """Deduplicated by event id, but the last event to arrive sets the status."""
    seen = read_model.setdefault("_seen", set())
    if event["event_id"] in seen:
        return
    seen.add(event["event_id"])
    row = _row(read_model, event)
    _money(read_model, event, row)
    row.update(status=STATUS[event["type"]], version=event["version"])


def drops_early_events(read_model, event):
    """Applies only the next version and drops an early event instead of holding it back."""
    row = _row(read_model, event)
    if event["version"] != row["version"] + 1:
        return
    _money(read_model, event, row)
    row.update(status=STATUS[event["type"]], version=event["version"])


def test_the_reference_is_correct_and_the_schedules_disorder():
    """Correct, and the schedules really duplicate and reorder (or the lab tests nothing)."""
    assert lab10.q1.check(lab10.reference_apply).correct
    for seed in lab10.SEEDS:
        plan, log = lab10.schedule(seed), lab10.order_log(seed)
        assert len(plan) > len(log)
        order = [log.index(e) for e in plan]
        assert any(b < a for a, b in zip(order, order[1:]))


def _newest_wins(read_model, event):
    """Deduplicated by event id; the highest version sets the status; OrderPlaced sets the
    amount and customer whenever it comes."""
    seen = read_model.setdefault("_seen", set())
    if event["event_id"] in seen:
        return False
    seen.add(event["event_id"])
    row = _row(read_model, event)
    if event["type"] == "OrderPlaced":
        row.update(amount=event["body"]["amount"], customer=event["body"]["customer"])
    if event["version"] > row["version"]:
        row.update(status=STATUS[event["type"]], version=event["version"])
    return True


def test_dedup_by_id_newest_version_wins_and_spent_recomputed_is_also_correct():
    """Deduplicating by event id, letting the highest version set the status and recomputing
    spent from the orders reaches the fold too, and never goes back."""
    def newest_wins(read_model, event):
        _newest_wins(read_model, event)
        spent = read_model["spent"] = {}
        for row in read_model["orders"].values():
            if row["customer"] is not None:
                spent[row["customer"]] = spent.get(row["customer"], 0) + (
                    0 if row["status"] == "cancelled" else row["amount"])
    assert lab10.q1.check(newest_wins).correct


def test_a_cancellation_before_its_order_placed_is_caught():
    """Keeping spent by increments, a cancellation that arrives before its OrderPlaced has
    nothing to subtract: spent is off, and the message names the customer."""
    def increments(read_model, event):
        row = _row(read_model, event)
        status_before = row["status"]
        if _newest_wins(read_model, event):
            if event["type"] == "OrderPlaced" or (event["type"] == "OrderCancelled"
                                                  and status_before is not None):
                _money(read_model, event, row)
    out = lab10.q1.check(increments)
    assert out.status == "Incorrect" and "read_model['spent']" in out.text()


def test_no_dedup_fails_naming_the_table_and_the_seed():
    """Without deduplication the duplicates are counted again in spent."""
    out = lab10.q1.check(no_dedup)
    assert out.status == "Incorrect" and "read_model['spent']" in out.text()
    assert out.seed == 1 and "seed=1" in out.text()


def test_last_arrival_wins_fails_on_reordering():
    """Without versions, a late OrderPlaced sets an order back to placed."""
    out = lab10.q1.check(last_arrival_wins)
    assert out.status == "Incorrect" and out.seed is not None
    assert "read_model['orders']" in out.text() or "went back" in out.text()


def test_dropping_early_events_fails():
    """An event that comes before its predecessor must be held back, not dropped."""
    out = lab10.q1.check(drops_early_events)
    assert out.status == "Incorrect" and "the fold of the log gives" in out.text()


def test_going_back_in_time_is_caught_even_when_the_end_is_right():
    """A projection that ends right but shows an older version after a newer one fails,
    naming the order, the versions and the delivery."""
    def flickers(read_model, event):
        lab10.reference_apply(read_model, event)
        orders = read_model["orders"]
        if event["version"] == 1 and orders.get(event["aggregate"], {}).get("version", 0) > 1:
            row = orders[event["aggregate"]]
            shown = row["version"]
            row["version"] = 1          # shows the past for one delivery ...
            read_model.setdefault("_fix", []).append((row, shown))
        else:
            for row, shown in read_model.pop("_fix", []):
                row["version"] = shown  # ... then the present again
    out = lab10.q1.check(flickers)
    assert out.status == "Incorrect", out.text()
    assert "went back from version" in out.text() or "the fold" in out.text()


def test_code_that_raises_is_incorrect_with_a_reason():
    """A KeyError on an event that arrives before its OrderPlaced is reported with the seed."""
    def crashes(read_model, event):
        orders = read_model.setdefault("orders", {})
        if event["type"] == "OrderPlaced":
            orders[event["aggregate"]] = {"status": "placed"}
        else:
            orders[event["aggregate"]]["status"] = STATUS[event["type"]]
    out = lab10.q1.check(crashes)
    assert out.status == "Incorrect" and "KeyError" in out.text() and out.seed is not None


def test_skeletons_are_not_attempted_and_hints_come_in_tiers(capsys):
    """The notebook's skeleton and ... are Not attempted; three hints, each printed once."""
    def skeleton(read_model, event):
        raise NotImplementedError
    assert lab10.q1.check(skeleton).status == "Not attempted"
    assert lab10.q1.check(...).status == "Not attempted"
    assert lab10.q1.check(42).status == "Incorrect"
    for level in (1, 2, 3):
        assert lab10.q1.hint(level) is None
        assert capsys.readouterr().out.startswith(f"Hint {level}/3: ")


def test_the_solution_file_and_the_solution_text_pass():
    """labs/lab10-projection/solution.py and solution()'s text both pass the checker."""
    ns = runpy.run_path(str(LAB / "solution.py"))
    assert lab10.q1.check(ns["apply"]).correct
    text_ns: dict = {}
    exec(lab10.q1.solution_text, text_ns)
    assert lab10.q1.check(text_ns["apply"]).correct


def test_a_failure_names_a_replay_call_that_ends_in_the_same_read_model():
    """The Incorrect names, once, lab10.deliver(apply, seed=N) (the skeleton's function name);
    run as written, it ends in the read model the message quotes."""
    apply = no_dedup
    out = lab10.q1.check(apply)
    call = f"lab10.deliver(apply, seed={out.seed})"
    run = run_named_replay(out, call, {"lab10": lab10, "apply": apply})
    assert run["read_model"] != run["expected"]
    # the message quotes the replayed read model's wrong total, as the replay computes it
    assert "read_model['spent']" in out.message
    assert any(f"is {v!r}, but" in out.message for v in run["read_model"]["spent"].values())
