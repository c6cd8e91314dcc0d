"""Property access helpers, through pulumi_policy's unknown-checking proxy."""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from tierstack.policy.props import get, has, items, truthy

PROPS = unknown_checking_proxy({"a": {"b": UNKNOWN_STRING_VALUE, "c": "", "d": [1, 2], "e": [], "f": {}},
                                "flag": "true"})


def test_an_unknown_value_counts_as_set_without_being_read():
    assert has(PROPS, "a.b") is True


def test_empty_and_missing_values_are_not_set():
    assert has(PROPS, "a.c") is False and has(PROPS, "a.missing") is False and has(PROPS, "x.y") is False
    assert has(PROPS, "a.e") is False and has(PROPS, "a.f") is False and has(PROPS, "a.d") is True


def test_reading_an_unknown_value_raises_for_the_engine_to_report():
    with pytest.raises(UnknownValueError):
        get(PROPS, "a.b")


def test_paths_walk_lists_and_fall_back_to_defaults():
    assert get(PROPS, "a.d.1") == 2 and get(PROPS, "a.d.5", "none") == "none"
    assert list(items(PROPS, "a.d")) == [1, 2] and list(items(PROPS, "missing")) == []
    assert truthy(get(PROPS, "flag")) and not truthy("false")
