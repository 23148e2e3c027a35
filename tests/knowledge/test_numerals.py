from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.numerals import article_label, cn_to_int, int_to_cn


@given(st.integers(min_value=1, max_value=9999))
def test_round_trip_through_chinese(n: int) -> None:
    assert cn_to_int(int_to_cn(n)) == n


@given(st.integers(min_value=1, max_value=9999))
def test_article_label_reads_back(n: int) -> None:
    label = article_label(n)
    assert label.startswith("第") and label.endswith("条")
    assert cn_to_int(label[1:-1]) == n


@given(st.integers(min_value=0, max_value=99_999_999))
def test_round_trip_beyond_articles(n: int) -> None:
    assert cn_to_int(int_to_cn(n)) == n


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (101, "一百零一"), (110, "一百一十"),
     (205, "二百零五"), (296, "二百九十六"), (1001, "一千零一"), (1010, "一千零一十"),
     (1260, "一千二百六十"), (1100, "一千一百"), (9999, "九千九百九十九")],
)
def test_statute_style(n: int, text: str) -> None:
    assert int_to_cn(n) == text


@pytest.mark.parametrize(
    ("text", "n"),
    [("一十", 10), ("十", 10), ("两百", 200), ("两千零五", 2005), ("〇", 0), ("零", 0), ("一〇五", 105),
     ("二〇二四", 2024), ("296", 296), ("２９６", 296), ("一千二百六十", 1260), (" 五十二 ", 52)],
)
def test_reads_what_people_write(text: str, n: int) -> None:
    assert cn_to_int(text) == n


@pytest.mark.parametrize("text", ["", "条", "abc", "五a"])
def test_rejects_non_numerals(text: str) -> None:
    with pytest.raises(ValueError):
        cn_to_int(text)


def test_article_label_with_suffix() -> None:
    assert article_label(296) == "第二百九十六条"
    assert article_label(120, 1) == "第一百二十条之一"
    assert article_label(133, "二") == "第一百三十三条之二"
