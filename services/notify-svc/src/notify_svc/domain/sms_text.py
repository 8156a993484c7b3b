"""The words of every SMS, per language, and fitting them into the segment budget.

A text message is read on a lock screen and kept by the carrier, so it says
only that there is news and where to read it: no competency codes, no scores,
no accommodations, no names. The link leads to the details behind a login.
Keywords (STOP, HELP) stay in English in every language because carriers
and providers act on them as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from notify_svc.domain.segments import count, fit
from notify_svc.domain.templates import FALLBACK_LANGUAGE, language_of

# Chinese and Arabic punctuation is intended here.
# ruff: noqa: RUF001

# kind -> language -> text (before the link)
TEXTS: dict[str, dict[str, str]] = {
    "competency_mastered": {
        "en": "Pathwise: good news, your student mastered a new skill.",
        "es": "Pathwise: buenas noticias, su estudiante dominó una nueva habilidad.",
        "zh-Hans": "Pathwise：好消息，您的孩子掌握了一项新技能。",
        "vi": "Pathwise: tin vui, con của quý vị đã thành thạo một kỹ năng mới.",
        "ar": "Pathwise: أخبار سارة، أتقن طالبكم مهارة جديدة.",
    },
    "path_changed": {
        "en": "Pathwise: your student's learning plan changed.",
        "es": "Pathwise: cambió el plan de aprendizaje de su estudiante.",
        "zh-Hans": "Pathwise：您孩子的学习计划有变化。",
        "vi": "Pathwise: kế hoạch học tập của con quý vị đã thay đổi.",
        "ar": "Pathwise: تغيّرت خطة تعلم طالبكم.",
    },
    "support_needed": {
        "en": "Pathwise: your student may need support. Please read the details.",
        "es": "Pathwise: su estudiante podría necesitar apoyo. Lea los detalles.",
        "zh-Hans": "Pathwise：您的孩子可能需要帮助，请查看详情。",
        "vi": "Pathwise: con quý vị có thể cần hỗ trợ. Vui lòng xem chi tiết.",
        "ar": "Pathwise: قد يحتاج طالبكم إلى دعم. يرجى قراءة التفاصيل.",
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

STOP_HINT: dict[str, str] = {
    "en": "Reply STOP to opt out.",
    "es": "Responda STOP para no recibir más.",
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


def render_sms(kinds: Sequence[str], tag: str, link: str, max_segments: int) -> SmsText:
    """One text about ``kinds`` (one notification, or a digest of several) with the link."""
    kind = kinds[0] if len(kinds) == 1 else "digest"
    lang = language_of(tag)
    asked = tag if lang == FALLBACK_LANGUAGE and not tag.lower().startswith("en") else None
    if lang not in TEXTS[kind]:
        asked, lang = lang, FALLBACK_LANGUAGE
    body = f"{TEXTS[kind][lang].format(count=len(kinds))} {STOP_HINT.get(lang, STOP_HINT['en'])}"
    text = fit(body, link, max_segments)
    counted = count(text)
    return SmsText(
        template=f"sms.{kind}.{lang}",
        language=lang,
        text=text,
        segments=counted.count,
        encoding=counted.encoding,
        fallback_from=asked,
    )
