"""The words of every SMS, per language, and fitting them into the segment budget.

A text message is read on a lock screen and kept by the carrier, so it says
what the news is about and where to read it: the competency's title in the
guardian's language with its code (the code alone when no title is known),
never a score, an accommodation or a name. The link leads to the details
behind a login. A long title is shortened with an ellipsis rather than cost
the text another segment; the link and the STOP hint are never cut.
Keywords (STOP, HELP) stay in English in every language because carriers
and providers act on them as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from notify_svc.domain.competency_names import CompetencyNames, Named, name
from notify_svc.domain.segments import ELLIPSIS_GSM, ELLIPSIS_UCS2, count, fit, is_gsm7
from notify_svc.domain.templates import FALLBACK_LANGUAGE, Item, language_of, skill

# Chinese and Arabic punctuation is intended here.
# ruff: noqa: RUF001

# kind -> language -> text (before the link)
TEXTS: dict[str, dict[str, str]] = {
    "competency_mastered": {
        "en": "Pathwise: good news, your student mastered {skill}.",
        "es": "Pathwise: su estudiante dominó {skill}.",
        "zh-Hans": "Pathwise：好消息，您的孩子掌握了 {skill}。",
        "vi": "Pathwise: tin vui, con của quý vị đã thành thạo {skill}.",
        "ar": "Pathwise: أخبار سارة، أتقن طالبكم {skill}.",
    },
    "path_changed": {
        "en": "Pathwise: your student's learning plan changed.",
        "es": "Pathwise: cambió el plan de aprendizaje de su estudiante.",
        "zh-Hans": "Pathwise：您孩子的学习计划有变化。",
        "vi": "Pathwise: kế hoạch học tập của con quý vị đã thay đổi.",
        "ar": "Pathwise: تغيّرت خطة تعلم طالبكم.",
    },
    "support_needed": {
        "en": "Pathwise: your student may need support with {skill}.",
        "es": "Pathwise: su estudiante podría necesitar apoyo en {skill}.",
        "zh-Hans": "Pathwise：您的孩子在 {skill} 方面可能需要帮助。",
        "vi": "Pathwise: con quý vị có thể cần hỗ trợ về {skill}.",
        "ar": "Pathwise: قد يحتاج طالبكم إلى دعم في {skill}.",
    },
    "weekly_summary": {
        "en": "Pathwise: your student's weekly progress summary is ready.",
        "es": "Pathwise: el resumen semanal de su estudiante está listo.",
        "zh-Hans": "Pathwise：您孩子的每周进展总结已准备好。",
        "vi": "Pathwise: bản tóm tắt tiến độ hàng tuần của con quý vị đã sẵn sàng.",
        "ar": "Pathwise: ملخص التقدم الأسبوعي لطالبكم جاهز.",
    },
    "digest": {
        "en": "Pathwise: you have {count} updates about your student.",
        "es": "Pathwise: tiene {count} novedades sobre su estudiante.",
        "zh-Hans": "Pathwise：您有 {count} 条关于孩子的新消息。",
        "vi": "Pathwise: quý vị có {count} cập nhật về con mình.",
        "ar": "Pathwise: لديكم {count} تحديثات عن طالبكم.",
    },
}

# A title shortened below this many characters (half for scripts without spaces) says
# too little: the text names the code alone, or takes another segment.
MIN_TITLE = 16

STOP_HINT: dict[str, str] = {
    "en": "Reply STOP to opt out.",
    "es": "Responda STOP para cancelar.",
    "zh-Hans": "回复 STOP 退订。",
    "vi": "Trả lời STOP để hủy.",
    "ar": "أرسل STOP لإلغاء الاشتراك.",
}

# Answers to inbound keywords; English, like the keywords themselves.
HELP = (
    "Pathwise family updates. Reply STOP to opt out, START to opt back in. "
    "Questions: ask your school."
)
STOPPED = "Pathwise: you will not receive more text messages. Reply START to opt back in."
STARTED = "Pathwise: you will receive text messages again. Reply STOP to opt out."


@dataclass(frozen=True, slots=True)
class SmsText:
    """A text ready to send; ``template`` names it in the delivery log."""

    template: str
    language: str
    text: str
    segments: int
    encoding: str
    fallback_from: str | None = None


def render_sms(
    items: Sequence[Item],
    tag: str,
    link: str,
    max_segments: int,
    names: CompetencyNames | None = None,
) -> SmsText:
    """One text about ``items`` (one notification, or a digest of several) with the link.

    A digest says how many updates there are; a single fact names its
    competency (``names``: titles; the code alone without them).
    """
    kind = items[0].kind if len(items) == 1 else "digest"
    lang = language_of(tag)
    asked = tag if lang == FALLBACK_LANGUAGE and not tag.lower().startswith("en") else None
    if lang not in TEXTS[kind]:
        asked, lang = lang, FALLBACK_LANGUAGE
    pattern = TEXTS[kind][lang]
    stop = STOP_HINT.get(lang, STOP_HINT["en"])
    named = name(names, items[0].code, lang)
    if "{skill}" in pattern and named.fallback and asked is None:
        asked = tag
    text = _fitted(pattern, named, lang, stop, link, max_segments, len(items))
    counted = count(text)
    return SmsText(
        template=f"sms.{kind}.{lang}",
        language=lang,
        text=text,
        segments=counted.count,
        encoding=counted.encoding,
        fallback_from=asked,
    )


def _fitted(
    pattern: str, named: Named, lang: str, stop: str, link: str, max_segments: int, n: int
) -> str:
    """The text with the competency's title, within the segments the text naming the code
    alone needs (one GSM-7 segment for English) when a title of some length fits there,
    else within ``max_segments``; shortened with an ellipsis, dropped if nothing fits."""
    bare = fit(f"{pattern.format(count=n, skill=named.code)} {stop}", link, max_segments)
    if named.title is None or "{skill}" not in pattern:
        return bare
    for budget in sorted({max(count(bare).count, 1), max_segments}):
        text = _within(pattern, named, lang, f"{stop} {link}".strip(), n, budget, bare)
        if text is not None:
            return text
    return bare


def _within(
    pattern: str, named: Named, lang: str, tail: str, n: int, budget: int, bare: str
) -> str | None:
    assert named.title is not None
    spaced = " " in named.title
    words = named.title.split(" ") if spaced else list(named.title)
    shortest = min(len(named.title), MIN_TITLE if spaced else MIN_TITLE // 2)
    joiner = " " if spaced else ""
    cut = False
    while words:
        title = joiner.join(words).rstrip(" ,;:،，、；")
        if len(title) < shortest:
            return None
        if cut:
            title += ELLIPSIS_GSM if is_gsm7(f"{bare}{title}") else ELLIPSIS_UCS2
        shown = Named(named.code, title, named.language, named.fallback)
        text = f"{pattern.format(count=n, skill=skill(shown, lang))} {tail}"
        if count(text).count <= budget:
            return text
        words.pop()
        cut = True
    return None
