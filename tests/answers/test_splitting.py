"""Long answers fit the messaging limit without cutting a quote in the middle."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.answers.splitting import CONTINUED, join_split, split_message

_SENTENCE = st.text(alphabet="法律规定邻居应当通行排水便利损害赔偿", min_size=1, max_size=30).map(
    lambda s: s + "。"
)
_PLAIN = st.lists(_SENTENCE, min_size=1, max_size=8).map("".join)
_QUOTE = st.tuples(st.integers(1, 1260), st.lists(_SENTENCE, min_size=1, max_size=40)).map(
    lambda t: f"《中华人民共和国民法典》第{t[0]}条规定：“{''.join(t[1])}”"
)


def _squash(text: str) -> str:
    return "".join(text.split())


_BLOCKS = st.lists(st.one_of(_PLAIN, _QUOTE), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(blocks=_BLOCKS, limit=st.integers(min_value=60, max_value=600))
def test_chunks_fit_and_quotes_stay_whole_or_carry_their_citation(blocks: list[str], limit: int) -> None:
    text = "\n\n".join(blocks)
    chunks = split_message(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    # nothing lost, nothing added but repeated citations (a long plain paragraph may gain a break)
    assert _squash(join_split(chunks)) == _squash(text)
    flat = "\n\n".join(chunks)
    for block in blocks:
        if block.startswith("《") and len(block) <= limit:
            assert any(block in chunk for chunk in chunks), "a quote that fits was cut"
    for chunk in chunks:
        for paragraph in chunk.split("\n\n"):
            if CONTINUED + "”" in paragraph or "“" + CONTINUED in paragraph:
                assert paragraph.startswith("《中华人民共和国民法典》第"), "a quote piece lost its citation"
    assert flat.count("“") >= sum(b.startswith("《") for b in blocks)


def test_short_text_is_one_message() -> None:
    assert split_message("你好。\n\n再见。") == ["你好。\n\n再见。"]


def test_telegram_limit_is_the_default() -> None:
    text = "\n\n".join(["这是一段话。" * 50] * 30)
    chunks = split_message(text)
    assert len(chunks) > 1 and all(len(c) <= 4096 for c in chunks)


def test_over_long_quote_is_cut_at_sentence_ends_with_citation_repeated() -> None:
    quote = "《中华人民共和国民法典》第一千零七十九条规定：“" + "应当准予离婚。" * 40 + "”"
    chunks = split_message(quote, 100)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.startswith("《中华人民共和国民法典》第一千零七十九条规定：“")
        body = chunk.removesuffix(CONTINUED + "”").removesuffix("”")
        assert body.endswith("。")  # cut only at a sentence end
