# ruff: noqa: E501 - translated sentences are data; wrapping them would hide typos
"""Demo data for the resident journey: the demo services' own words in the five shipped
languages, editable afterwards in the admin (services.ServiceTranslation).

Call `seed_applications_demo()` from devdata/demo.py: seed_demo() after the catalogue is
seeded. Safe to run twice (update_or_create).
"""

from __future__ import annotations

from typing import Any

from services.models import Service, ServiceTranslation

# slug -> language -> (name, summary, {question key: text})
TRANSLATIONS: dict[str, dict[str, tuple[str, str, dict[str, str]]]] = {
    "job-search-cv": {
        "ar": (
            "المساعدة في البحث عن عمل وكتابة السيرة الذاتية",
            "يساعدك مدرب عمل على إيجاد وظائف تناسبك وكتابة سيرة ذاتية تلفت الانتباه.",
            {"work_wanted": "ما نوع العمل الذي تبحث عنه؟", "has_cv": "هل لديك سيرة ذاتية؟"},
        ),
        "ur": (
            "نوکری کی تلاش اور سی وی میں مدد",
            "ایک ورک کوچ آپ کو مناسب نوکریاں تلاش کرنے اور ایسا سی وی لکھنے میں مدد دیتا ہے جو توجہ حاصل کرے۔",
            {
                "work_wanted": "آپ کس قسم کا کام تلاش کر رہے ہیں؟",
                "has_cv": "کیا آپ کے پاس سی وی ہے؟",
            },
        ),
        "bn": (
            "চাকরি খোঁজা ও সিভি লেখায় সাহায্য",
            "একজন ওয়ার্ক কোচ আপনার উপযোগী চাকরি খুঁজতে এবং নজরকাড়া সিভি লিখতে সাহায্য করেন।",
            {"work_wanted": "আপনি কী ধরনের কাজ খুঁজছেন?", "has_cv": "আপনার কি সিভি আছে?"},
        ),
        "so": (
            "Caawimaad shaqo raadis iyo CV",
            "Tababare shaqo ayaa kaa caawiya inaad hesho shaqooyin kugu habboon oo aad qorto CV soo jiita indhaha.",
            {"work_wanted": "Shaqo noocee ah ayaad raadinaysaa?", "has_cv": "Ma leedahay CV?"},
        ),
        "pl": (
            "Pomoc w szukaniu pracy i pisaniu CV",
            "Doradca zawodowy pomoże Ci znaleźć odpowiednią pracę i napisać CV, które zwróci uwagę.",
            {"work_wanted": "Jakiej pracy szukasz?", "has_cv": "Czy masz CV?"},
        ),
    },
    "interview-preparation": {
        "ar": (
            "الاستعداد للمقابلات",
            "تدرّب على المقابلات مع مدرب واستعد للأسئلة التي يطرحها أصحاب العمل.",
            {"interview_booked": "هل لديك مقابلة محددة؟"},
        ),
        "ur": (
            "انٹرویو کی تیاری",
            "کوچ کے ساتھ انٹرویو کی مشق کریں اور آجروں کے سوالات کے لیے تیار ہو جائیں۔",
            {"interview_booked": "کیا آپ کا کوئی انٹرویو طے ہے؟"},
        ),
        "bn": (
            "ইন্টারভিউয়ের প্রস্তুতি",
            "একজন কোচের সাথে ইন্টারভিউ অনুশীলন করুন এবং নিয়োগকর্তাদের প্রশ্নের জন্য প্রস্তুত হন।",
            {"interview_booked": "আপনার কি কোনো ইন্টারভিউ ঠিক করা আছে?"},
        ),
        "so": (
            "Isu diyaarinta wareysiga",
            "Tababare la jimicso wareysiyada oo isu diyaari su'aalaha ay shaqo-bixiyayaashu weydiiyaan.",
            {"interview_booked": "Ma jiraa wareysi laguu qabtay?"},
        ),
        "pl": (
            "Przygotowanie do rozmowy kwalifikacyjnej",
            "Przećwicz rozmowy z doradcą i przygotuj się na pytania pracodawców.",
            {"interview_booked": "Czy masz umówioną rozmowę kwalifikacyjną?"},
        ),
    },
    "in-work-support": {
        "ar": (
            "الدعم أثناء العمل",
            "دعم خلال الأشهر الأولى من وظيفتك الجديدة، لتنجح فيها.",
            {"job_start": "متى بدأت عملك؟"},
        ),
        "ur": (
            "ملازمت کے دوران مدد",
            "نئی نوکری کے پہلے مہینوں میں مدد، تاکہ یہ آپ کے لیے کامیاب رہے۔",
            {"job_start": "آپ نے اپنی نوکری کب شروع کی؟"},
        ),
        "bn": (
            "কাজের সময় সহায়তা",
            "নতুন চাকরির প্রথম কয়েক মাসে সহায়তা, যাতে এটি আপনার জন্য ভালোভাবে চলে।",
            {"job_start": "আপনি কবে আপনার চাকরি শুরু করেছেন?"},
        ),
        "so": (
            "Taageero inta aad shaqaynayso",
            "Taageero bilaha ugu horreeya ee shaqadaada cusub, si ay kuugu guuleysato.",
            {"job_start": "Goorma ayaad bilowday shaqadaada?"},
        ),
        "pl": (
            "Wsparcie w pracy",
            "Wsparcie w pierwszych miesiącach nowej pracy, żeby wszystko się udało.",
            {"job_start": "Kiedy zacząłeś pracę?"},
        ),
    },
    "english-for-work": {
        "ar": (
            "الإنجليزية للعمل (ESOL)",
            "حسّن لغتك الإنجليزية المحكية والمكتوبة للعمل، في مجموعات صغيرة ودودة.",
            {"english_level": "ما مدى ارتياحك في التحدث بالإنجليزية؟"},
        ),
        "ur": (
            "کام کے لیے انگریزی (ESOL)",
            "چھوٹے دوستانہ گروپوں میں کام کے لیے اپنی بول چال اور تحریری انگریزی بہتر بنائیں۔",
            {"english_level": "آپ انگریزی بولنے میں کتنا آرام محسوس کرتے ہیں؟"},
        ),
        "bn": (
            "কাজের জন্য ইংরেজি (ESOL)",
            "ছোট, বন্ধুত্বপূর্ণ দলে কাজের জন্য আপনার কথ্য ও লিখিত ইংরেজি উন্নত করুন।",
            {"english_level": "ইংরেজিতে কথা বলতে আপনি কতটা স্বচ্ছন্দ?"},
        ),
        "so": (
            "Ingiriisi shaqada loogu talagalay (ESOL)",
            "Hagaaji Ingiriisigaaga lagu hadlo iyo kan la qoro ee shaqada, kooxo yaryar oo saaxiibtinimo leh.",
            {"english_level": "Intee in le'eg ayaad ku raaxaysataa ku hadalka Ingiriisiga?"},
        ),
        "pl": (
            "Angielski w pracy (ESOL)",
            "Popraw swój mówiony i pisany angielski w pracy, w małych, przyjaznych grupach.",
            {"english_level": "Jak swobodnie mówisz po angielsku?"},
        ),
    },
    "digital-skills": {
        "ar": (
            "دورة المهارات الرقمية",
            "تعلّم استخدام البريد الإلكتروني والنماذج الإلكترونية ومواقع التوظيف بثقة.",
            {"has_device": "هل لديك هاتف أو جهاز لوحي أو حاسوب يمكنك استخدامه؟"},
        ),
        "ur": (
            "ڈیجیٹل مہارتوں کا کورس",
            "ای میل، آن لائن فارم اور نوکری کی ویب سائٹیں اعتماد سے استعمال کرنا سیکھیں۔",
            {"has_device": "کیا آپ کے پاس فون، ٹیبلٹ یا کمپیوٹر ہے جو آپ استعمال کر سکیں؟"},
        ),
        "bn": (
            "ডিজিটাল দক্ষতা কোর্স",
            "আত্মবিশ্বাসের সাথে ইমেইল, অনলাইন ফর্ম ও চাকরির ওয়েবসাইট ব্যবহার করতে শিখুন।",
            {"has_device": "আপনার কি ব্যবহার করার মতো ফোন, ট্যাবলেট বা কম্পিউটার আছে?"},
        ),
        "so": (
            "Koorsada xirfadaha dijitaalka",
            "Baro inaad si kalsooni leh u isticmaasho iimaylka, foomamka onlaynka iyo bogagga shaqada.",
            {"has_device": "Ma haysataa taleefan, tablet ama kombiyuutar aad isticmaali karto?"},
        ),
        "pl": (
            "Kurs umiejętności cyfrowych",
            "Naucz się pewnie korzystać z poczty e-mail, formularzy online i portali z ofertami pracy.",
            {"has_device": "Czy masz telefon, tablet lub komputer, z którego możesz korzystać?"},
        ),
    },
    "construction-skills": {
        "ar": (
            "مهارات البناء وبطاقة CSCS",
            "دورة قصيرة واختبار يتيحان لك العمل في مواقع البناء.",
            {"site_experience": "هل عملت في موقع بناء من قبل؟"},
        ),
        "ur": (
            "تعمیراتی مہارتیں اور CSCS کارڈ",
            "ایک مختصر کورس اور ٹیسٹ جس کے بعد آپ تعمیراتی سائٹس پر کام کر سکتے ہیں۔",
            {"site_experience": "کیا آپ نے پہلے کبھی تعمیراتی سائٹ پر کام کیا ہے؟"},
        ),
        "bn": (
            "নির্মাণ দক্ষতা ও CSCS কার্ড",
            "একটি ছোট কোর্স ও পরীক্ষা, যার পরে আপনি নির্মাণস্থলে কাজ করতে পারবেন।",
            {"site_experience": "আপনি কি আগে কখনো নির্মাণস্থলে কাজ করেছেন?"},
        ),
        "so": (
            "Xirfadaha dhismaha iyo kaarka CSCS",
            "Koorso gaaban iyo imtixaan kuu oggolaanaya inaad ka shaqayso goobaha dhismaha.",
            {"site_experience": "Weligaa ma ka shaqaysay goob dhismo?"},
        ),
        "pl": (
            "Umiejętności budowlane i karta CSCS",
            "Krótki kurs i egzamin, dzięki którym możesz pracować na budowie.",
            {"site_experience": "Czy pracowałeś już na budowie?"},
        ),
    },
    "money-advice": {
        "ar": (
            "نصائح بشأن المال والإعانات",
            "تأكد من حصولك على كل إعانة تستحقها وخطط لأموالك عندما تبدأ العمل.",
            {"topic": "ما الذي تريد المساعدة فيه؟"},
        ),
        "ur": (
            "پیسوں اور بینیفٹس کے بارے میں مشورہ",
            "یقینی بنائیں کہ آپ کو ہر وہ بینیفٹ ملے جس کے آپ حقدار ہیں، اور کام شروع ہونے پر اپنے پیسوں کی منصوبہ بندی کریں۔",
            {"topic": "آپ کس چیز میں مدد چاہتے ہیں؟"},
        ),
        "bn": (
            "টাকা ও বেনিফিট বিষয়ে পরামর্শ",
            "আপনার প্রাপ্য সব বেনিফিট পাচ্ছেন কিনা দেখুন এবং কাজ শুরু হলে টাকার পরিকল্পনা করুন।",
            {"topic": "আপনি কোন বিষয়ে সাহায্য চান?"},
        ),
        "so": (
            "La-talin lacagta iyo gunnooyinka",
            "Hubi inaad hesho gunno kasta oo aad xaq u leedahay, oo qorshee lacagtaada marka shaqadu bilaabato.",
            {"topic": "Maxaad rabtaa in lagaa caawiyo?"},
        ),
        "pl": (
            "Porady dotyczące pieniędzy i świadczeń",
            "Sprawdź, czy otrzymujesz wszystkie należne świadczenia, i zaplanuj budżet, gdy zaczniesz pracę.",
            {"topic": "W czym potrzebujesz pomocy?"},
        ),
    },
}

# The choices of the English-level question, position for position.
CHOICES: dict[str, dict[str, list[str]]] = {
    "english_level": {
        "ar": ["قليلًا", "إلى حد ما", "مرتاح إلى حد كبير"],
        "ur": ["تھوڑا سا", "کچھ حد تک", "کافی آرام سے"],
        "bn": ["একটু", "কিছুটা", "বেশ স্বচ্ছন্দ"],
        "so": ["Wax yar", "Xoogaa", "Si fiican"],
        "pl": ["Trochę", "Średnio", "Dość swobodnie"],
    }
}


def seed_applications_demo() -> int:
    """Create or refresh the demo services' translations. Returns how many rows were written."""
    written = 0
    for slug, languages in TRANSLATIONS.items():
        service = Service.objects.filter(slug=slug).first()
        if service is None:
            continue
        for language, (name, summary, questions) in languages.items():
            words: dict[str, Any] = {}
            for key, text in questions.items():
                words[key] = {"text": text}
                if key in CHOICES:
                    words[key]["choices"] = CHOICES[key][language]
            ServiceTranslation.objects.update_or_create(
                service=service,
                language=language,
                defaults={"name": name, "summary": summary, "questions": words},
            )
            written += 1
    return written
