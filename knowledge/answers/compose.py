"""The answer composed from retrieved text alone (no language model): lead, quotes, steps, disclaimer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from knowledge.answers.model import Citation, ReplacedLaw
from knowledge.answers.quoting import overlap, select_quote
from knowledge.answers.settings import AnswerSettings
from knowledge.units import Hit, UnitKind, UnitStatus
from prompts import t

NEXT_STEPS = ("step_talk", "step_case", "step_12348", "step_court")


def rerank(hits: Sequence[Hit], question: str, weight: float) -> list[Hit]:
    """In-force hits ordered by retrieval score plus ``weight`` × the question's bigram overlap with
    the text (what the resident wrote, found in the article, is good evidence). Exact references stay
    first. The hit keeps its retrieval score, which is what the refusal threshold applies to."""
    current = [h for h in hits if h.unit.status == UnitStatus.IN_FORCE]
    if weight <= 0:
        return current
    return sorted(current, key=lambda h: (not h.exact, -(h.score + weight * overlap(question, h.unit.text))))


def select_citations(hits: Sequence[Hit], question: str, settings: AnswerSettings) -> list[Citation]:
    """The hits worth citing: in force, strong enough, close to the best one, at most a few.

    The first ``max_citations`` are quoted; up to ``related_citations`` more are named as related
    provisions. An FAQ or 普法 hit at the top leads, and strong law or rule articles follow it quoted.
    """
    current = rerank(hits, question, settings.overlap_weight)
    if not current or max(h.score for h in current) < settings.min_score:
        return []
    top = max(h.score for h in current)
    floor = max(settings.min_score, top * settings.relative_margin)
    chosen = [
        h for h in current if h.unit.kind in (UnitKind.LAW, UnitKind.RULES) and (h.score >= floor or h.exact)
    ]
    lead: list[Citation] = []
    quota = settings.max_citations
    if current[0].unit.kind in (UnitKind.FAQ, UnitKind.PROSE):
        lead, quota = [to_citation(current[0], question, settings)], max(0, settings.max_citations - 1)
    quoted = [to_citation(h, question, settings) for h in chosen[:quota]]
    extra = chosen[quota : quota + settings.related_citations]
    return lead + quoted + [replace(to_citation(h, question, settings), related=True) for h in extra]


def to_citation(hit: Hit, question: str, settings: AnswerSettings) -> Citation:
    unit = hit.unit
    if unit.kind in (UnitKind.LAW, UnitKind.RULES):
        quote = select_quote(unit.text, question, settings.quote_chars).text
    else:
        quote = unit.text.strip()
    meta = unit.meta or {}
    return Citation(
        id=unit.id,
        law=unit.doc_title,
        article=unit.label or "",
        quote=quote,
        score=round(float(hit.score), 4),
        kind=str(unit.kind),
        adopted_on=_str_or_none(meta.get("adopted_on")),
        version=_str_or_none(meta.get("version")),
        source=unit.source,
    )


def _str_or_none(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def reference(citation: Citation, lang: str) -> str:
    """《青山村村规民约》第五条（2024-03-15通过，版本：2）, or 《…民法典》第二百九十六条."""
    ref = citation.reference
    if citation.kind == UnitKind.RULES and citation.adopted_on:
        key = "answers.rule_meta" if citation.version else "answers.rule_meta_date"
        ref += t(key, lang, adopted_on=citation.adopted_on, version=citation.version or "")
    return ref


def lead_refs(citations: Sequence[Citation]) -> str:
    """《中华人民共和国民法典》第二百九十六条、第二百八十八条 and 《物业管理条例》第七条: grouped by law."""
    by_law: dict[str, list[str]] = {}
    for c in citations:
        by_law.setdefault(c.law, []).append(c.article)
    return "，".join(f"《{law}》" + "、".join(a for a in articles if a) for law, articles in by_law.items())


def replaced_notice(replaced: Sequence[ReplacedLaw], lang: str) -> list[str]:
    return [t("answers.replaced", lang, old=r.old, new=r.new, on=r.on) for r in replaced]


def next_steps(lang: str) -> list[str]:
    return [t(f"answers.{key}", lang) for key in NEXT_STEPS]


def steps_block(steps: Sequence[str], lang: str) -> str:
    lines = [t("answers.next_steps_title", lang)]
    lines += [f"{i}. {step}" for i, step in enumerate(steps, 1)]
    return "\n".join(lines)


def article_blocks(articles: Sequence[Citation], lang: str) -> list[str]:
    """The lead naming the quoted articles, the quotes, and the related provisions."""
    quoted = [c for c in articles if not c.related]
    related = [c for c in articles if c.related]
    blocks: list[str] = []
    if quoted:
        only_rules = all(c.kind == UnitKind.RULES for c in quoted)
        blocks.append(t("answers.lead_rules" if only_rules else "answers.lead", lang, refs=lead_refs(quoted)))
        blocks += [t("answers.quote", lang, ref=reference(c, lang), quote=c.quote) for c in quoted]
    if related:
        blocks.append(t("answers.also_see", lang, refs=lead_refs(related)))
    return blocks


def compose(
    question: str, citations: Sequence[Citation], replaced: Sequence[ReplacedLaw], lang: str = "zh"
) -> tuple[str, list[str]]:
    """(answer text, next steps) from the chosen citations. Paragraphs are separated by blank lines."""
    blocks = replaced_notice(replaced, lang)
    steps = next_steps(lang)
    first = citations[0]
    articles = [c for c in citations if c.kind in (UnitKind.LAW, UnitKind.RULES)]
    if first.kind in (UnitKind.FAQ, UnitKind.PROSE):
        blocks.append(t("answers.faq_lead", lang) if first.kind == UnitKind.FAQ else "")
        blocks.append(first.quote)
        blocks.append(
            t(
                "answers.faq_source" if first.kind == UnitKind.FAQ else "answers.prose_source",
                lang,
                title=first.law,
            )
        )
        steps = steps[1:3] if not articles else steps
    blocks += article_blocks(articles, lang)
    blocks.append(steps_block(steps, lang))
    blocks.append(t("common.disclaimer", lang))
    return "\n\n".join(b for b in blocks if b), steps
