"""The words of every message, per language (BCP 47 tags as the keys).

Data only. A language missing a message falls back to English in
``templates``, which reports it; keep the placeholders ({code}, {codes},
{count}, {week}) identical across languages. ``{code}`` / ``{codes}`` become
a competency's title with its code in parentheses when the title is known,
the bare code otherwise, so a sentence must read well either way. Messages never name the student
or carry scores or accommodations: the guardian knows whom it is about.
"""

from __future__ import annotations

from typing import Final

# Chinese and Arabic punctuation (full-width colon, comma) is intended here.
# ruff: noqa: RUF001

RTL: Final = frozenset({"ar"})

CLOSING: Final = {
    "en": "You receive this because you asked to be told about learning progress.",
    "es": "Recibe este mensaje porque pidió estar al tanto del progreso de aprendizaje.",
    "zh-Hans": "您收到此邮件是因为您要求了解学习进展。",
    "vi": "Quý vị nhận được thư này vì đã đăng ký nhận thông tin về tiến độ học tập.",
    "ar": "تتلقى هذه الرسالة لأنك طلبت إبلاغك بتقدم التعلم.",
}

# After a competency's title shown in English because it has none in the guardian's
# language: "Interpret a product (3.OA.A.1, en inglés)".
IN_ENGLISH: Final = {
    "en": "in English",
    "es": "en inglés",
    "zh-Hans": "英文",
    "vi": "bằng tiếng Anh",
    "ar": "بالإنجليزية",
}

UNSUBSCRIBE: Final = {
    "en": "Stop these emails",
    "es": "Dejar de recibir estos correos",
    "zh-Hans": "不再接收这些邮件",
    "vi": "Ngừng nhận các email này",
    "ar": "إيقاف هذه الرسائل",
}

# kind -> language -> (subject, headline, body)
MESSAGES: Final[dict[str, dict[str, tuple[str, str, str]]]] = {
    "competency_mastered": {
        "en": (
            "Competency mastered: {code}",
            "Good news from Pathwise",
            "Your student has mastered: {code}.",
        ),
        "es": (
            "Competencia dominada: {code}",
            "Buenas noticias de Pathwise",
            "Su estudiante ha dominado: {code}.",
        ),
        "zh-Hans": ("已掌握能力：{code}", "来自 Pathwise 的好消息", "您的孩子已掌握：{code}。"),
        "vi": (
            "Đã thành thạo năng lực: {code}",
            "Tin vui từ Pathwise",
            "Con của quý vị đã thành thạo: {code}.",
        ),
        "ar": ("تم إتقان الكفاءة: {code}", "أخبار سارة من Pathwise", "أتقن طالبكم: {code}."),
    },
    "path_changed": {
        "en": (
            "Learning plan update",
            "A change in your student's learning plan",
            "To get past what is blocking progress, your student will now work "
            "with one-on-one tutoring on: {codes}.",
        ),
        "es": (
            "Cambio en el plan de aprendizaje",
            "Un cambio en el plan de aprendizaje de su estudiante",
            "Para superar lo que frena su progreso, su estudiante trabajará ahora "
            "con tutoría individual en: {codes}.",
        ),
        "zh-Hans": (
            "学习计划更新",
            "您孩子的学习计划有变化",
            "为突破目前的学习障碍，您的孩子将通过一对一辅导学习：{codes}。",
        ),
        "vi": (
            "Cập nhật kế hoạch học tập",
            "Kế hoạch học tập của con quý vị đã thay đổi",
            "Để vượt qua khó khăn hiện tại, con của quý vị sẽ học với gia sư kèm riêng: {codes}.",
        ),
        "ar": (
            "تحديث خطة التعلم",
            "تغيير في خطة تعلم طالبكم",
            "لتجاوز ما يعيق تقدمه، سيعمل طالبكم الآن مع دروس خصوصية فردية على: {codes}.",
        ),
    },
    "support_needed": {
        "en": (
            "Your student may need support",
            "Time to check in",
            "Progress needs attention on: {code}. Talking with the teacher now can help "
            "before it becomes a problem.",
        ),
        "es": (
            "Su estudiante podría necesitar apoyo",
            "Es momento de hablar",
            "El progreso necesita atención en: {code}. Hablar ahora con el docente puede "
            "ayudar antes de que se convierta en un problema.",
        ),
        "zh-Hans": (
            "您的孩子可能需要帮助",
            "是时候沟通一下了",
            "以下内容的学习进展需要关注：{code}。现在与老师沟通，可以在问题出现之前提供帮助。",
        ),
        "vi": (
            "Con của quý vị có thể cần hỗ trợ",
            "Đã đến lúc trao đổi",
            "Tiến độ cần được quan tâm ở: {code}. Trao đổi với giáo viên ngay bây giờ có thể "
            "giúp trước khi thành vấn đề.",
        ),
        "ar": (
            "قد يحتاج طالبكم إلى الدعم",
            "حان وقت التواصل",
            "يحتاج التقدم إلى اهتمام في: {code}. "
            "التحدث مع المعلم الآن يمكن أن يساعد قبل أن تصبح مشكلة.",
        ),
    },
    "weekly_summary": {
        "en": (
            "Weekly progress: week of {week}",
            "This week in Pathwise",
            "Competencies mastered this week: {count}.",
        ),
        "es": (
            "Progreso semanal: semana del {week}",
            "Esta semana en Pathwise",
            "Competencias dominadas esta semana: {count}.",
        ),
        "zh-Hans": (
            "每周进展：{week} 这一周",
            "本周 Pathwise 回顾",
            "本周掌握的能力：{count} 项。",
        ),
        "vi": (
            "Tiến độ hàng tuần: tuần {week}",
            "Tuần này trên Pathwise",
            "Số năng lực đã thành thạo trong tuần: {count}.",
        ),
        "ar": (
            "التقدم الأسبوعي: أسبوع {week}",
            "هذا الأسبوع في Pathwise",
            "الكفاءات التي تم إتقانها هذا الأسبوع: {count}.",
        ),
    },
    "digest": {
        "en": ("Your Pathwise daily digest", "Today in Pathwise", ""),
        "es": ("Su resumen diario de Pathwise", "Hoy en Pathwise", ""),
        "zh-Hans": ("您的 Pathwise 每日摘要", "今日 Pathwise", ""),
        "vi": ("Bản tin hằng ngày Pathwise", "Hôm nay trên Pathwise", ""),
        "ar": ("ملخص Pathwise اليومي", "اليوم في Pathwise", ""),
    },
    # Facts that came close together, told at once (the coalescing window).
    "coalesced": {
        "en": ("{count} updates from Pathwise", "News from Pathwise", ""),
        "es": ("{count} novedades de Pathwise", "Novedades de Pathwise", ""),
        "zh-Hans": ("Pathwise 的 {count} 条新消息", "Pathwise 新消息", ""),
        "vi": ("{count} tin mới từ Pathwise", "Tin mới từ Pathwise", ""),
        "ar": ("{count} مستجدات من Pathwise", "مستجدات من Pathwise", ""),
    },
}
