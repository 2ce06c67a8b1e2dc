"""The topology describes itself: roles with colours (the source as leader), options with
choices, fault presets that follow the current source."""

from helpers_ca import topology


def test_description_names_roles_options_and_presets():
    """Views read the roles, per-read options and presets from describe(), not from the mode."""
    c = topology(semi_sync=True)
    d = c.backend.describe()
    assert d.mode == "ca" and d.leader_roles == ("primary",) and d.layout == "star"
    assert d.role("primary").symbol == "star" and d.role("replica").colour != \
        d.role("primary").colour
    system = {o.name: o for o in d.options_for("system")}
    assert system["wait_for_replica_count"].default == 1
    assert system["wait_for_replica_count"].choices == (0, 1, 2)
    assert system["semi_sync_timeout_ms"].default == 1000
    assert [o.name for o in d.options_for("get")] == ["read_from"]
    assert d.options_for("get")[0].choices == ("primary", "replica")
    assert d.presets["isolate primary"] == ("isolate", "n1")
    assert d.presets["crash primary"] == ("crash", "n1")


def test_presets_follow_a_promotion():
    """After promote("n3") the "isolate primary" preset cuts n3 off."""
    c = topology()
    c.crash("n1")
    c.promote("n3")
    assert c.backend.describe().presets["isolate primary"] == ("isolate", "n3")
