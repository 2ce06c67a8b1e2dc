"""The shared argument checks in caplab.errors: a flag is a bool, and the message names the
option, what it means and the bad value."""

import pytest

from caplab.errors import ConfigError, check_flag


@pytest.mark.parametrize("bad", [1, 0, "yes", None, 1.0])
def test_a_flag_refuses_anything_but_a_bool(bad):
    """1, 0, 'yes', None and 1.0 are not flags: the message names the option and the value."""
    with pytest.raises(ConfigError, match=rf"^persistent must be True or False, got {bad!r}$"):
        check_flag("persistent", bad)

def test_a_flag_message_says_what_the_flag_means():
    """The meaning, when given, sits between the rule and the value."""
    with pytest.raises(ConfigError, match=r"j must be True or False \(journal\), got 'no'"):
        check_flag("j", "no", "journal")
    assert check_flag("j", False) is False
