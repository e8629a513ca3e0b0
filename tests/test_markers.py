"""The one citation-marker grammar: parse, rewrite, remap, strip and render agree on what a
marker is, whatever dash a range uses; intervals, wide ranges and Markdown links are not
markers."""

from __future__ import annotations

import pytest

from assistant.answering.markers import (
    NOWHERE,
    marker_numbers,
    parse_markers,
    remap_markers,
    render_group,
    rewrite_markers,
    strip_markers,
)

HYPHEN, EN, EM = "-", "\u2013", "\u2014"


@pytest.mark.parametrize("dash", [HYPHEN, EN, EM], ids=["hyphen", "en-dash", "em-dash"])
def test_every_dash_is_a_range_for_every_operation(dash):
    text = f"Edges drop by 80% [1{dash}3] and [2 {dash} 4]."
    assert parse_markers(text) == [1, 2, 3, 4]
    assert remap_markers(text, {1: 7, 2: 8, 3: 9, 4: 5}) == (
        "Edges drop by 80% [7][8][9] and [8][9][5].")
    assert strip_markers(text) == "Edges drop by 80%  and ."
    assert rewrite_markers(text, render_group) == "Edges drop by 80% [1-3] and [2-4]."


@pytest.mark.parametrize(("text", "numbers"), [
    ("[1, 2]", [1, 2]),
    ("[1; 3]", [1, 3]),
    ("[1,2;  5]", [1, 2, 5]),
    ("[ 4 ]", [4]),
    ("[2, 1] then [1]", [2, 1]),
    (f"[1{EN}2, 5; 7{EM}8]", [1, 2, 5, 7, 8]),
    ("[3-1]", [1, 2, 3]),
    ("[2-3, 3]", [2, 3]),
])
def test_lists_semicolons_and_mixed_groups(text, numbers):
    assert parse_markers(text) == numbers


@pytest.mark.parametrize("text", [
    "the interval [0, 1]",
    f"scores in [0{EN}1]",
    "a Markdown link [1](https://example.org)",
    "[2, 3](#refs)",
    "not a range [1-80]",
    "a decimal [1.5]",
    "a year [2024]",
    "[a]",
])
def test_brackets_that_are_not_citations_are_left_alone(text):
    assert parse_markers(text) == []
    assert remap_markers(text, {1: 9, 2: 9, 3: 9}) == text
    assert strip_markers(text) == text
    assert rewrite_markers(text, lambda numbers: "X") == text


def test_remap_sends_unknown_numbers_nowhere_and_keeps_order():
    assert remap_markers(f"A [2{EM}3]. B [1; 5].", {1: 1, 2: 2, 3: 4}) == (
        f"A [2][4]. B [1][{NOWHERE}].")


def test_rewrite_keeps_a_group_when_render_declines():
    text = "kept [1] replaced [2]"
    assert rewrite_markers(text, lambda ns: None if ns == [1] else "<2>") == "kept [1] replaced <2>"


def test_marker_numbers_of_one_group():
    assert marker_numbers(f"[1{EN}3; 5]") == [1, 2, 3, 5]
    assert marker_numbers("[0, 1]") is None
    assert marker_numbers("[1-52]") is None  # wider than MAX_RANGE
    assert marker_numbers("[1-51]") == list(range(1, 52))


@pytest.mark.parametrize(("numbers", "group"), [
    ([1], "[1]"),
    ([1, 2], "[1, 2]"),
    ([1, 2, 3], "[1-3]"),
    ([1, 3, 4, 5, 7], "[1, 3-5, 7]"),
    ([4, 2], "[4, 2]"),
])
def test_render_group_and_parse_round_trip(numbers, group):
    assert render_group(numbers) == group
    assert parse_markers(group) == numbers
