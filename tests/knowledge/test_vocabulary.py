"""The legal-term dictionary and the everyday-word → legal-term map used by retrieval."""

from __future__ import annotations

from pathlib import Path

import jieba
import pytest
import yaml

from knowledge.vocabulary import (
    everyday_terms,
    everyday_words_in,
    expand_query,
    legal_dictionary_path,
    legal_terms,
)


def test_dictionary_loads_into_jieba_and_keeps_terms_whole() -> None:
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(legal_dictionary_path()))
    for term in ("不动产权利人", "宅基地使用权", "土地承包经营权", "劳动报酬", "居住权", "融资租赁合同",
                 "诉讼时效"):
        assert term in legal_terms()
        assert term in tokenizer.lcut(f"关于{term}的规定"), term


def test_dictionary_format_and_size() -> None:
    lines = legal_dictionary_path().read_text("utf-8").splitlines()
    assert len(lines) >= 500
    for line in lines:
        term, frequency, tag = line.split(" ")
        assert term and frequency.isdigit() and tag.isalpha(), line
    assert len(set(legal_terms())) == len(legal_terms())


def test_everyday_map_has_no_duplicate_keys() -> None:
    data = Path(__file__).resolve().parents[2] / "knowledge" / "data"
    text = (data / "everyday_terms.yaml").read_text("utf-8")
    keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith(("#", " "))]
    assert len(keys) == len(set(keys))
    assert len(everyday_terms()) == len(keys) >= 300
    assert yaml.safe_load(text) is not None


@pytest.mark.parametrize(
    ("word", "term"),
    [("房东", "出租人"), ("租客", "承租人"), ("老公", "配偶"), ("老婆", "配偶"), ("欠工资", "劳动报酬"),
     ("拖欠工资", "劳动报酬"), ("邻居", "相邻关系"), ("物业费", "物业服务费用"), ("老板", "用人单位"),
     ("打工", "劳动者"), ("借钱", "借款"), ("被狗咬", "饲养动物"), ("车祸", "机动车交通事故"),
     ("彩礼", "彩礼"), ("押金", "押金"), ("宅基地", "宅基地使用权"), ("遗产", "继承"),
     ("低保", "最低生活保障")],
)
def test_core_mappings(word: str, term: str) -> None:
    assert term in everyday_terms()[word]


def test_expand_query_prefers_the_longest_word_and_skips_known_terms() -> None:
    assert everyday_words_in("房东不退押金怎么办") == ["房东", "不退押金"]
    assert expand_query("房东不退押金怎么办")[:2] == ["出租人", "租赁合同"]
    assert "押金" not in expand_query("房东不退押金怎么办")  # already in the question
    assert everyday_words_in("邻居吵架了") == ["邻居", "吵架"]  # 吵架, not 吵
    assert expand_query("今天天气很好") == []


def test_most_mapped_terms_occur_in_the_law_texts(shared_corpus: Path) -> None:
    text = "".join(p.read_text("utf-8") for p in (shared_corpus / "national").rglob("*.md"))
    terms = {t for mapped in everyday_terms().values() for t in mapped}
    missing = sorted(t for t in terms if t not in text)
    assert len(missing) <= len(terms) // 20, missing
