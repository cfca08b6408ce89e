"""One grammar for every user string, parsed once into typed values; options checked against declared signatures."""
from __future__ import annotations

import pytest

from naslib_swap.errors import GrammarError, NaslibSwapError, OptionError, UnknownNameError
from naslib_swap.grammar import format_call, parse_assignments, parse_call, parse_range, split_list
from naslib_swap.proxies.base import ProxyCall, parse_calls
from naslib_swap.registry import get_search


@pytest.mark.parametrize("text, want", [
    ("swap,reg_swap[mu=1.2,sigma=1.2]", ["swap", "reg_swap[mu=1.2,sigma=1.2]"]),
    ("lswag[interval=(2,6)], nwot", ["lswag[interval=(2,6)]", "nwot"]),
    ("a[x='p,q'],b", ["a[x='p,q']", "b"]),
    (" , swap ,, ", ["swap"]),
])
def test_lists_split_only_at_top_level(text, want):
    assert split_list(text) == want


def test_plus_lists_keep_brackets_whole():  # libra-nas proxies: "a+b+c"
    assert split_list("reg_swap[mu=1,sigma=1]+swap+lswag[acts='relu+gelu']", seps="+") == [
        "reg_swap[mu=1,sigma=1]", "swap", "lswag[acts='relu+gelu']"]


@pytest.mark.parametrize("bad", ["a[b=1", "a[b=(1,2]", "a[x='1]", "a]b", "a[=1]", "a[b]", "a[b=1,b=2]", "", "1x"])
def test_malformed_labels_are_grammar_errors(bad):
    with pytest.raises(GrammarError):
        parse_call(bad)


def test_values_are_literals_or_words_never_code():
    name, opts = parse_call("x[a=1,b=2.5,c='s',d=normal,e=(1,2),f=None,g=True,h=__import__('os')]")
    assert (name, opts["a"], opts["b"], opts["c"], opts["d"], opts["e"], opts["f"], opts["g"]) == (
        "x", 1, 2.5, "s", "normal", (1, 2), None, True)
    assert opts["h"] == "__import__('os')"  # a string, never evaluated


def test_format_round_trips():
    label = format_call("reg_swap", {"sigma": 1.2, "mu": 1.2, "init": "normal"})
    assert label == "reg_swap[init='normal',mu=1.2,sigma=1.2]"
    assert parse_call(label) == ("reg_swap", {"init": "normal", "mu": 1.2, "sigma": 1.2})


@pytest.mark.parametrize("text, want", [("9000-9002", [9000, 9001, 9002]), ("9000,9002", [9000, 9002]),
                                        ("9001-9002,9000,9001", [9001, 9002, 9000]), (9000, [9000])])
def test_ranges(text, want):
    assert parse_range(text) == want


@pytest.mark.parametrize("bad", ["9004-9000", "", "abc", "1-2-3", "9000-"])
def test_bad_ranges(bad):
    with pytest.raises(GrammarError):
        parse_range(bad)


def test_assignments_from_repeated_flags():
    assert parse_assignments(["proxy=reg_swap[mu=1.2,sigma=1.2]", "order=fixed,proposals=2"]) == {
        "proxy": "reg_swap[mu=1.2,sigma=1.2]", "order": "fixed", "proposals": 2}


def test_proxy_calls_are_canonical_and_checked():
    c = ProxyCall.parse("reg_swap[sigma=1.2,mu=1.2,reinits=1]")
    assert c.label == "reg_swap[mu=1.2,sigma=1.2]" and c.options == {"mu": 1.2, "sigma": 1.2}
    assert ProxyCall.parse(c) is c
    assert [x.label for x in parse_calls("swap,reg_swap[mu='auto']")] == ["swap", "reg_swap[mu='auto']"]
    with pytest.raises(OptionError, match="has no option 'muu'; its options: formula, init, mu, reinits, sigma"):
        ProxyCall.parse("reg_swap[muu=1]")
    with pytest.raises(OptionError, match=r"mu='abc': expected a number or one of 'auto' or None"):
        ProxyCall.parse("reg_swap[mu=abc]")
    with pytest.raises(OptionError, match="reinits=2.5: expected an integer"):
        ProxyCall.parse("swap[reinits=2.5]")
    with pytest.raises(NaslibSwapError, match="bn_mode"):
        ProxyCall.parse("swap[bn_mode=test]")
    with pytest.raises(UnknownNameError, match="unknown proxy 'nope'"):
        ProxyCall.parse("nope")


@pytest.mark.parametrize("method", ["swap-nas", "zc-pt", "libra-nas", "teg-evolution", "teg-reinforce", "teg-prune"])
def test_search_options_are_declared_and_checked_before_running(method):
    spec = get_search(method)
    with pytest.raises(OptionError, match=f"search '{method}' has no option 'foo'"):
        spec.check({"foo": 1})


def test_search_option_types_are_checked():
    with pytest.raises(OptionError, match="population='many'"):
        get_search("swap-nas").check({"population": "many"})
    with pytest.raises(OptionError, match="mu='abc'"):
        get_search("swap-nas").check({"mu": "abc"})
