"""The words of the ELA K-8 framework, written by Pathwise, in the portal's five languages.

One short summary per College and Career Readiness anchor (reading anchors
serve both literature and informational text), a strand name, a phrase per
grade band saying how independent the work is, and the sentence that joins
them: the grade-specific standards' own text is not reproduced.
"""

# ruff: noqa: RUF001
# (full-width punctuation is correct in the Chinese texts)

from __future__ import annotations

STRANDS: dict[str, dict[str, str]] = {
    "RL": {
        "en": "reading literature",
        "es": "lectura de literatura",
        "vi": "đọc văn học",
        "zh-Hans": "文学阅读",
        "ar": "قراءة الأدب",
    },
    "RI": {
        "en": "reading informational text",
        "es": "lectura de textos informativos",
        "vi": "đọc văn bản thông tin",
        "zh-Hans": "信息类文本阅读",
        "ar": "قراءة النصوص المعلوماتية",
    },
    "RF": {
        "en": "reading foundational skills",
        "es": "destrezas básicas de lectura",
        "vi": "kỹ năng đọc nền tảng",
        "zh-Hans": "阅读基础技能",
        "ar": "مهارات القراءة الأساسية",
    },
    "W": {
        "en": "writing",
        "es": "escritura",
        "vi": "viết",
        "zh-Hans": "写作",
        "ar": "الكتابة",
    },
    "SL": {
        "en": "speaking and listening",
        "es": "expresión oral y comprensión auditiva",
        "vi": "nói và nghe",
        "zh-Hans": "听说",
        "ar": "التحدث والاستماع",
    },
    "L": {
        "en": "language",
        "es": "lenguaje",
        "vi": "ngôn ngữ",
        "zh-Hans": "语言",
        "ar": "اللغة",
    },
}

_READING = {
    1: {
        "en": "read closely and back up what the text says with details from it",
        "es": "leer con atención y respaldar lo que dice el texto con detalles del mismo",
        "vi": "đọc kỹ và dùng chi tiết trong văn bản để chứng minh điều văn bản nói",
        "zh-Hans": "细读文本，并用文中的细节支持对文本内容的理解",
        "ar": "القراءة المتأنية ودعم ما يقوله النص بتفاصيل منه",
    },
    2: {
        "en": "find the central ideas or themes and summarise them",
        "es": "encontrar las ideas centrales o los temas y resumirlos",
        "vi": "tìm ý chính hoặc chủ đề và tóm tắt chúng",
        "zh-Hans": "找出中心思想或主题并加以概括",
        "ar": "تحديد الأفكار الرئيسية أو الموضوعات وتلخيصها",
    },
    3: {
        "en": "follow how people, events or ideas develop and interact",
        "es": "seguir cómo se desarrollan e interactúan personas, sucesos o ideas",
        "vi": "theo dõi con người, sự việc hoặc ý tưởng phát triển và tác động lẫn nhau ra sao",
        "zh-Hans": "理解人物、事件或观点如何发展和相互影响",
        "ar": "تتبّع كيف تتطور الشخصيات أو الأحداث أو الأفكار وتتفاعل",
    },
    4: {
        "en": "work out what words and phrases mean in context",
        "es": "deducir el significado de palabras y frases según el contexto",
        "vi": "hiểu nghĩa của từ và cụm từ dựa vào ngữ cảnh",
        "zh-Hans": "根据上下文理解词语和短语的含义",
        "ar": "استنتاج معاني الكلمات والعبارات من السياق",
    },
    5: {
        "en": "explain how the structure of a text shapes it",
        "es": "explicar cómo la estructura de un texto le da forma",
        "vi": "giải thích cấu trúc của văn bản định hình văn bản như thế nào",
        "zh-Hans": "说明文本结构如何影响文本",
        "ar": "شرح كيف تُشكّل بنية النص معناه",
    },
    6: {
        "en": "recognise the point of view or purpose behind a text",
        "es": "reconocer el punto de vista o el propósito de un texto",
        "vi": "nhận ra quan điểm hoặc mục đích của văn bản",
        "zh-Hans": "识别文本背后的观点或目的",
        "ar": "التعرّف على وجهة النظر أو الغرض وراء النص",
    },
    7: {
        "en": "bring together information from pictures, media and words",
        "es": "integrar información de imágenes, medios y palabras",
        "vi": "kết hợp thông tin từ hình ảnh, phương tiện và lời văn",
        "zh-Hans": "综合图片、媒体和文字中的信息",
        "ar": "الجمع بين المعلومات من الصور والوسائط والكلمات",
    },
    8: {
        "en": "trace an argument and judge the reasons and evidence behind it",
        "es": "seguir un argumento y valorar las razones y pruebas que lo sostienen",
        "vi": "theo dõi một lập luận và đánh giá lý lẽ, bằng chứng của nó",
        "zh-Hans": "梳理论证，并评价其理由和证据",
        "ar": "تتبّع الحجة وتقييم الأسباب والأدلة التي تستند إليها",
    },
    9: {
        "en": "compare how two texts treat similar themes or topics",
        "es": "comparar cómo dos textos tratan temas o asuntos parecidos",
        "vi": "so sánh cách hai văn bản thể hiện các chủ đề hoặc đề tài tương tự",
        "zh-Hans": "比较两篇文本如何处理相似的主题或话题",
        "ar": "المقارنة بين طريقة تناول نصين لموضوعات أو قضايا متشابهة",
    },
    10: {
        "en": "read texts of growing complexity with understanding",
        "es": "leer con comprensión textos cada vez más complejos",
        "vi": "đọc hiểu các văn bản ngày càng phức tạp",
        "zh-Hans": "读懂难度逐步提高的文本",
        "ar": "قراءة نصوص متزايدة التعقيد بفهم",
    },
}

ANCHORS: dict[str, dict[int, dict[str, str]]] = {
    "RL": _READING,
    "RI": _READING,
    "RF": {
        1: {
            "en": "understand how print is organised on the page",
            "es": "comprender cómo se organiza lo impreso en la página",
            "vi": "hiểu cách chữ in được sắp xếp trên trang",
            "zh-Hans": "了解文字在页面上的排列方式",
            "ar": "فهم كيفية تنظيم الكلام المطبوع على الصفحة",
        },
        2: {
            "en": "hear and play with the sounds in spoken words",
            "es": "oír y manipular los sonidos de las palabras habladas",
            "vi": "nghe và vận dụng các âm trong lời nói",
            "zh-Hans": "听辨并操作口语词中的语音",
            "ar": "سماع الأصوات في الكلمات المنطوقة والتعامل معها",
        },
        3: {
            "en": "use phonics and word analysis to decode words",
            "es": "usar la fonética y el análisis de palabras para descifrarlas",
            "vi": "dùng ngữ âm và phân tích từ để đọc từ",
            "zh-Hans": "运用拼读和构词分析来解码单词",
            "ar": "استخدام الصوتيات وتحليل الكلمات لفك رموزها",
        },
        4: {
            "en": "read accurately and fluently enough to understand",
            "es": "leer con la precisión y fluidez suficientes para comprender",
            "vi": "đọc đủ chính xác và trôi chảy để hiểu",
            "zh-Hans": "读得足够准确流利，以便理解",
            "ar": "القراءة بدقة وطلاقة كافيتين للفهم",
        },
    },
    "W": {
        1: {
            "en": "write opinions and arguments backed by reasons",
            "es": "escribir opiniones y argumentos apoyados en razones",
            "vi": "viết ý kiến và lập luận có lý lẽ",
            "zh-Hans": "写出有理由支持的观点和论证",
            "ar": "كتابة آراء وحجج مدعومة بالأسباب",
        },
        2: {
            "en": "write to inform and explain clearly",
            "es": "escribir para informar y explicar con claridad",
            "vi": "viết để cung cấp thông tin và giải thích rõ ràng",
            "zh-Hans": "写作以清楚地介绍和说明",
            "ar": "الكتابة للإخبار والشرح بوضوح",
        },
        3: {
            "en": "write stories of real or imagined experiences",
            "es": "escribir relatos de experiencias reales o imaginadas",
            "vi": "viết câu chuyện về trải nghiệm có thật hoặc tưởng tượng",
            "zh-Hans": "写真实或想象经历的记叙文",
            "ar": "كتابة قصص عن تجارب حقيقية أو متخيلة",
        },
        4: {
            "en": "produce clear writing suited to its task, purpose and audience",
            "es": "producir textos claros adecuados a la tarea, el propósito y el público",
            "vi": "viết rõ ràng, phù hợp với nhiệm vụ, mục đích và người đọc",
            "zh-Hans": "写出清楚、符合任务、目的和读者的文章",
            "ar": "إنتاج كتابة واضحة تناسب المهمة والغرض والجمهور",
        },
        5: {
            "en": "plan, revise and edit writing",
            "es": "planificar, revisar y corregir lo escrito",
            "vi": "lên ý tưởng, sửa và biên tập bài viết",
            "zh-Hans": "构思、修改和编辑文章",
            "ar": "التخطيط للكتابة ومراجعتها وتحريرها",
        },
        6: {
            "en": "use technology to produce and share writing",
            "es": "usar la tecnología para producir y compartir textos",
            "vi": "dùng công nghệ để tạo và chia sẻ bài viết",
            "zh-Hans": "利用技术创作和分享文章",
            "ar": "استخدام التكنولوجيا لإنتاج الكتابة ومشاركتها",
        },
        7: {
            "en": "carry out short research projects",
            "es": "realizar proyectos breves de investigación",
            "vi": "thực hiện các dự án nghiên cứu ngắn",
            "zh-Hans": "开展简短的研究项目",
            "ar": "تنفيذ مشاريع بحثية قصيرة",
        },
        8: {
            "en": "gather information from sources and take notes",
            "es": "reunir información de fuentes y tomar notas",
            "vi": "thu thập thông tin từ các nguồn và ghi chép",
            "zh-Hans": "从资料中收集信息并做笔记",
            "ar": "جمع المعلومات من المصادر وتدوين الملاحظات",
        },
        9: {
            "en": "draw on texts as evidence in writing",
            "es": "apoyarse en textos como pruebas al escribir",
            "vi": "dùng văn bản làm bằng chứng khi viết",
            "zh-Hans": "在写作中引用文本作为证据",
            "ar": "الاستناد إلى النصوص كأدلة في الكتابة",
        },
        10: {
            "en": "write regularly, in short and longer stretches",
            "es": "escribir con regularidad, en períodos cortos y largos",
            "vi": "viết thường xuyên, trong thời gian ngắn và dài",
            "zh-Hans": "经常写作，既有短时也有长时的写作",
            "ar": "الكتابة بانتظام، في فترات قصيرة وطويلة",
        },
    },
    "SL": {
        1: {
            "en": "take part in conversations and discussions with others",
            "es": "participar en conversaciones y debates con otros",
            "vi": "tham gia trò chuyện và thảo luận với người khác",
            "zh-Hans": "参与与他人的对话和讨论",
            "ar": "المشاركة في المحادثات والنقاشات مع الآخرين",
        },
        2: {
            "en": "understand information heard or presented in different formats",
            "es": "comprender información escuchada o presentada en distintos formatos",
            "vi": "hiểu thông tin được nghe hoặc trình bày dưới nhiều hình thức",
            "zh-Hans": "理解以不同形式听到或呈现的信息",
            "ar": "فهم المعلومات المسموعة أو المعروضة بأشكال مختلفة",
        },
        3: {
            "en": "weigh a speaker's point of view and reasoning",
            "es": "valorar el punto de vista y el razonamiento de quien habla",
            "vi": "đánh giá quan điểm và lập luận của người nói",
            "zh-Hans": "评价说话者的观点和推理",
            "ar": "تقييم وجهة نظر المتحدث واستدلاله",
        },
        4: {
            "en": "present ideas and findings clearly",
            "es": "presentar ideas y hallazgos con claridad",
            "vi": "trình bày ý tưởng và kết quả một cách rõ ràng",
            "zh-Hans": "清楚地陈述想法和发现",
            "ar": "عرض الأفكار والنتائج بوضوح",
        },
        5: {
            "en": "use media and visuals to support a presentation",
            "es": "usar medios y recursos visuales para apoyar una presentación",
            "vi": "dùng phương tiện và hình ảnh để hỗ trợ bài trình bày",
            "zh-Hans": "使用媒体和视觉材料辅助展示",
            "ar": "استخدام الوسائط والعناصر المرئية لدعم العرض",
        },
        6: {
            "en": "adapt speech to the situation and task",
            "es": "adaptar el habla a la situación y la tarea",
            "vi": "điều chỉnh lời nói cho phù hợp với tình huống và nhiệm vụ",
            "zh-Hans": "根据场合和任务调整说话方式",
            "ar": "تكييف الكلام مع الموقف والمهمة",
        },
    },
    "L": {
        1: {
            "en": "use standard English grammar and usage",
            "es": "usar la gramática y el uso normativo del inglés",
            "vi": "dùng đúng ngữ pháp và cách dùng tiếng Anh chuẩn",
            "zh-Hans": "使用规范的英语语法和用法",
            "ar": "استخدام قواعد اللغة الإنجليزية الفصيحة وأساليبها",
        },
        2: {
            "en": "use capital letters, punctuation and spelling correctly",
            "es": "usar correctamente las mayúsculas, la puntuación y la ortografía",
            "vi": "dùng đúng chữ hoa, dấu câu và chính tả",
            "zh-Hans": "正确使用大写字母、标点和拼写",
            "ar": "استخدام الحروف الكبيرة وعلامات الترقيم والتهجئة بشكل صحيح",
        },
        3: {
            "en": "use what they know about language when writing, speaking, reading or listening",
            "es": "aplicar lo que saben del lenguaje al escribir, hablar, leer o escuchar",
            "vi": "vận dụng hiểu biết về ngôn ngữ khi viết, nói, đọc hoặc nghe",
            "zh-Hans": "在写、说、读、听中运用语言知识",
            "ar": "توظيف المعرفة باللغة عند الكتابة أو التحدث أو القراءة أو الاستماع",
        },
        4: {
            "en": "work out the meaning of unknown words",
            "es": "averiguar el significado de palabras desconocidas",
            "vi": "tìm ra nghĩa của những từ chưa biết",
            "zh-Hans": "弄清生词的含义",
            "ar": "معرفة معاني الكلمات غير المعروفة",
        },
        5: {
            "en": "understand figurative language and how words relate",
            "es": "comprender el lenguaje figurado y las relaciones entre palabras",
            "vi": "hiểu ngôn ngữ tu từ và mối quan hệ giữa các từ",
            "zh-Hans": "理解比喻性语言和词语之间的关系",
            "ar": "فهم اللغة المجازية والعلاقات بين الكلمات",
        },
        6: {
            "en": "learn and use vocabulary suited to the grade",
            "es": "aprender y usar vocabulario propio del grado",
            "vi": "học và dùng vốn từ phù hợp với lớp",
            "zh-Hans": "学习并使用适合年级的词汇",
            "ar": "تعلّم مفردات تناسب الصف واستخدامها",
        },
    },
}

BANDS: dict[str, dict[str, str]] = {
    "K-2": {
        "en": "with guidance and support",
        "es": "con orientación y apoyo",
        "vi": "với sự hướng dẫn và hỗ trợ",
        "zh-Hans": "在指导和帮助下",
        "ar": "بالتوجيه والدعم",
    },
    "3-5": {
        "en": "with growing independence",
        "es": "con creciente autonomía",
        "vi": "ngày càng tự lập hơn",
        "zh-Hans": "逐步独立地",
        "ar": "باستقلالية متزايدة",
    },
    "6-8": {
        "en": "independently, with more demanding material",
        "es": "de forma autónoma, con material más exigente",
        "vi": "một cách tự lập, với tài liệu khó hơn",
        "zh-Hans": "独立地，面对更有难度的材料",
        "ar": "باستقلالية، مع مواد أكثر تطلبًا",
    },
}

STANDARD = {
    "en": "{grade} {strand}, standard {number}: {summary}, {band}.",
    "es": "{grade}, {strand}, estándar {number}: {summary}, {band}.",
    "vi": "{grade}, {strand}, chuẩn {number}: {summary}, {band}.",
    "zh-Hans": "{grade}{strand}第 {number} 条标准：{band}{summary}。",
    "ar": "{grade}، {strand}، المعيار {number}: {summary}، {band}.",
}
GROUP = {
    "en": "{grade} {strand}",
    "es": "{grade}, {strand}",
    "vi": "{grade}, {strand}",
    "zh-Hans": "{grade}{strand}",
    "ar": "{grade}، {strand}",
}
TITLE = {
    "en": "English language arts, grades K-8 (Common Core structure)",
    "es": "Artes del lenguaje en inglés, grados K a 8 (estructura Common Core)",
    "vi": "Ngữ văn tiếng Anh, lớp K-8 (cấu trúc Common Core)",
    "zh-Hans": "英语语言艺术，幼儿园至八年级（共同核心结构）",
    "ar": "فنون اللغة الإنجليزية، للصفوف K-8 (بنية المعايير الأساسية المشتركة)",
}
