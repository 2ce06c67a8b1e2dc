"""NATS subjects: '*' matches one token, '>' one or more trailing tokens; malformed subjects
and patterns are refused, naming them."""

import pytest

from caplab import ConfigError
from caplab.bus.nats import check_pattern, check_subject, subject_matches


@pytest.mark.parametrize("pattern, subject, hit", [
    ("foo.*", "foo.bar", True),
    ("foo.*", "foo", False),
    ("foo.*", "foo.bar.baz", False),
    ("foo.>", "foo.bar.baz", True),
    ("foo.>", "foo", False),              # '>' needs at least one token
    (">", "foo", True),
    ("*.bar.>", "x.bar.y", True),
    ("*.bar.>", "x.bar", False),
    ("foo.bar", "foo.bar", True),
    ("foo.bar", "foo.baz", False),
    ("*", "foo.bar", False),
])
def test_wildcards_follow_nats(pattern, subject, hit):
    """NATS "Subject-Based Messaging": '*' matches a single token; '>' matches one or more
    tokens at the tail, so foo.> does not match foo."""
    assert subject_matches(pattern, subject) is hit


@pytest.mark.parametrize("bad, why", [
    ("a.*b", "wildcard inside"), ("a.>.b", "must be the last"), ("a..b", "empty token"),
    (".a", "empty token"), ("a.", "empty token"), ("", "non-empty"), ("a b", "whitespace"),
    ("a.b>", "wildcard inside"),
])
def test_malformed_patterns_are_refused(bad, why):
    """A wildcard inside a token, '>' before the end, or an empty token: refused, named."""
    with pytest.raises(ConfigError, match=why) as e:
        check_pattern(bad)
    assert repr(bad) in str(e.value)


@pytest.mark.parametrize("bad", ["a.*", "a.>", "a..b", ""])
def test_publish_subjects_must_be_full(bad):
    """NATS: publishers use full subjects, without wildcards."""
    with pytest.raises(ConfigError) as e:
        check_subject(bad)
    assert repr(bad) in str(e.value)
