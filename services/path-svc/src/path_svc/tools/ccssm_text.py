"""The building blocks of the mathematics descriptions, in the portal's five languages.

Descriptions are composed (grade, domain, cluster, number), so translating
the blocks translates every standard: the standards' own text is never used.
"""

# ruff: noqa: RUF001
# (full-width punctuation is correct in the Chinese texts)

from __future__ import annotations

DOMAINS: dict[str, dict[str, str]] = {
    "CC": {
        "en": "counting and cardinality",
        "es": "conteo y cardinalidad",
        "vi": "đếm và số lượng",
        "zh-Hans": "计数与基数",
        "ar": "العدّ والعددية",
    },
    "OA": {
        "en": "operations and algebraic thinking",
        "es": "operaciones y pensamiento algebraico",
        "vi": "phép tính và tư duy đại số",
        "zh-Hans": "运算与代数思维",
        "ar": "العمليات والتفكير الجبري",
    },
    "NBT": {
        "en": "place value and base-ten operations",
        "es": "valor posicional y operaciones en base diez",
        "vi": "giá trị theo hàng và phép tính trong hệ thập phân",
        "zh-Hans": "数位与十进制运算",
        "ar": "القيمة المكانية والعمليات في النظام العشري",
    },
    "NF": {
        "en": "fractions",
        "es": "fracciones",
        "vi": "phân số",
        "zh-Hans": "分数",
        "ar": "الكسور",
    },
    "MD": {
        "en": "measurement and data",
        "es": "medición y datos",
        "vi": "đo lường và dữ liệu",
        "zh-Hans": "测量与数据",
        "ar": "القياس والبيانات",
    },
    "G": {
        "en": "geometry",
        "es": "geometría",
        "vi": "hình học",
        "zh-Hans": "几何",
        "ar": "الهندسة",
    },
    "RP": {
        "en": "ratios and proportional reasoning",
        "es": "razones y razonamiento proporcional",
        "vi": "tỉ số và suy luận tỉ lệ",
        "zh-Hans": "比与比例推理",
        "ar": "النسب والاستدلال التناسبي",
    },
    "NS": {
        "en": "the number system",
        "es": "el sistema numérico",
        "vi": "hệ thống số",
        "zh-Hans": "数系",
        "ar": "نظام الأعداد",
    },
    "EE": {
        "en": "expressions and equations",
        "es": "expresiones y ecuaciones",
        "vi": "biểu thức và phương trình",
        "zh-Hans": "式与方程",
        "ar": "التعابير والمعادلات",
    },
    "F": {
        "en": "functions",
        "es": "funciones",
        "vi": "hàm số",
        "zh-Hans": "函数",
        "ar": "الدوال",
    },
    "SP": {
        "en": "statistics and probability",
        "es": "estadística y probabilidad",
        "vi": "thống kê và xác suất",
        "zh-Hans": "统计与概率",
        "ar": "الإحصاء والاحتمالات",
    },
}

_CHINESE_NUMBERS = "一二三四五六七八九"


def grade_label(grade: str, lang: str) -> str:
    """ "Grade 3" / "Kindergarten" in ``lang``."""
    if grade == "K":
        return {
            "en": "Kindergarten",
            "es": "Kínder",
            "vi": "Mẫu giáo",
            "zh-Hans": "幼儿园",
            "ar": "رياض الأطفال",
        }[lang]
    if lang == "zh-Hans":
        return f"{_CHINESE_NUMBERS[int(grade) - 1]}年级"
    return {"en": "Grade {g}", "es": "Grado {g}", "vi": "Lớp {g}", "ar": "الصف {g}"}[lang].format(
        g=grade
    )


STANDARD = {
    "en": "{grade} {domain}: standard {number} of cluster {cluster}.",
    "es": "{grade}, {domain}: estándar {number} del grupo {cluster}.",
    "vi": "{grade}, {domain}: chuẩn {number} của nhóm {cluster}.",
    "zh-Hans": "{grade}{domain}：{cluster} 组第 {number} 条标准。",
    "ar": "{grade}، {domain}: المعيار {number} من المجموعة {cluster}.",
}
CLUSTER = {
    "en": "{grade} {domain}, {cluster}",
    "es": "{grade}, {domain}, {cluster}",
    "vi": "{grade}, {domain}, {cluster}",
    "zh-Hans": "{grade}{domain}，{cluster} 组",
    "ar": "{grade}، {domain}، {cluster}",
}
TITLE = {
    "en": "{grades} mathematics (Common Core codes)",
    "es": "Matemáticas de {grades} (códigos Common Core)",
    "vi": "Toán {grades} (mã Common Core)",
    "zh-Hans": "{grades}数学（共同核心代码）",
    "ar": "الرياضيات {grades} (رموز المعايير الأساسية المشتركة)",
}


def grades_label(first: str, last: str, lang: str) -> str:
    """ "Grades K-8" in ``lang``."""
    if lang == "zh-Hans":
        return f"{grade_label(first, lang)}至{grade_label(last, lang)}"
    return {
        "en": "Grades {a}-{b}",
        "es": "los grados {a} a {b}",
        "vi": "lớp {a}-{b}",
        "ar": "للصفوف {a}-{b}",
    }[lang].format(a=first, b=last)
