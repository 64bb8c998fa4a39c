"""The default keywords of the field text protocol (DESIGN §8), by intent.

Pure Python, no Django. Words are written as people type them; ``parser.Vocabulary`` normalises
them. Each organisation renames, extends or disables them on its keywords page
(salama.messaging.keywords); these are only the starting point.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DEFAULT_WORDS", "EXACT_ONLY", "Intent"]


class Intent(StrEnum):
    SAFE = "SAFE"
    NEED_HELP = "NEED_HELP"
    INJURED = "INJURED"
    STATUS = "STATUS"
    AT = "AT"
    ACK = "ACK"
    NEW = "NEW"
    ALL = "ALL"
    EXCEPT = "EXCEPT"


# Written as people type them; Vocabulary normalises them. Comments name the register.
DEFAULT_WORDS: dict[Intent, list[str]] = {
    Intent.SAFE: [
        # English
        "safe", "fine", "good", "alive", "all good", "all fine", "all ok", "all well",
        # Modern Standard Arabic
        "آمن", "آمنة", "آمنون", "آمنين", "بأمان", "في أمان", "بخير", "سالم", "سالمة", "سالمين",
        "سليم", "سليمة", "جيد", "الحمد لله", "الحمدلله", "الحمدالله",
        # Levantine / Syrian
        "منيح", "منيحة", "منيحين", "مناح", "مليح", "مليحة", "تمام", "ماشي الحال", "ما في شي",
        "مافي شي", "عايش", "عايشين", "لسا عايش",
        # Iraqi, Gulf, Egyptian, Maghrebi
        "زين", "زينين", "ماكو شي", "طيب", "كويس", "كويسة", "كويسين", "زي الفل", "عال", "لاباس",
        "مزيان",
        # Arabizi
        "tamam", "tmam", "mni7", "mne7", "mnee7", "mnih", "mneeh", "mni7a", "mne7a", "mni7ah",
        "mna7", "mli7", "mlee7", "b5eir", "b5er", "b5ir", "b5air", "bkheir", "bkhair", "bkher",
        "bikhair", "bi5eir", "bekheir", "7elo", "7elw", "7elu", "7ilo", "7ilu", "salim", "saleem",
        "salem", "salme", "salmeh", "salmin", "kwayes", "kwayyes", "kwayis", "kowayes", "kwayseh",
        "kwaysa", "zein", "zain", "zeen", "2amen", "aamen", "hamdella", "hamdellah", "hamdilla",
        "hamdillah", "7amdella", "7amdilla", "el7amdella", "el7amdellah", "al7amdulillah",
        "alhamdulillah", "alhamdolillah", "taib", "tayeb", "tayyeb", "tayib", "3ayesh", "3aysh",
        "ma fi shi", "mafi shi", "maku shi", "labas", "mezyan",
    ],
    Intent.NEED_HELP: [
        "help", "sos", "mayday", "emergency", "urgent", "danger", "trapped", "rescue",
        "ambulance", "rubble", "killed", "martyr",
        "مساعدة", "ساعدوني", "ساعدونا", "ساعدني", "النجدة", "نجدة", "إسعاف", "طوارئ", "طارئ",
        "عاجل", "خطر", "بخطر", "أنقذوني", "أنقذونا", "إنقاذ", "محاصر", "محاصرين", "عالق",
        "عالقين", "أنقاض", "استغاثة", "شهيد", "شهداء", "استشهد", "قتيل", "قتلى",
        # dialect: Levantine, Egyptian, Iraqi, Gulf
        "الحقوني", "الحقونا", "الحقني", "دخيلكم", "دخيلك", "دخيل الله", "فزعة", "فزعتكم",
        # Arabizi
        "sa3doni", "sa3dona", "sa3idni", "sa3edni", "sa3dni", "sa3ed", "sa3ido", "sa3edoni",
        "najde", "najdeh", "njde", "najda", "nagda", "is3af", "es3af", "2s3af", "2is3af",
        "el7a2oni", "il7a2oni", "l7a2oni", "el7a2ona", "dakhilkon", "dakhilkom", "da5ilkon",
        "dakhilak", "da5ilak", "khatar", "5atar", "faz3a", "3ajel", "3ajil",
        "mosa3ada", "mosa3ade", "msa3ade", "musa3ada",
        # fire and trapped (matched as written: see EXACT_ONLY)
        "fire", "on fire", "stuck", "basement", "حريق", "حرائق", "قبو", "7ari2", "7aree2",
        "7areeq", "7ariq", "hariq", "2abo", "2abu", "m7asar", "m7asarin", "m7asareen",
        "3ale2", "3al2an", "3al2in", "3al2een",
    ],
    Intent.INJURED: [
        "injured", "injury", "hurt", "wounded", "wound", "bleeding", "casualty", "casualties",
        "shot",
        "مصاب", "مصابة", "مصابين", "مصابون", "جريح", "جريحة", "جرحى", "إصابة", "إصابات",
        "أصبت", "انصبت", "مجروح", "مجروحة", "مجروحين", "جرح", "نزيف", "ينزف", "بنزف", "نازف",
        "انجرحت", "شظية", "شظايا",
        # dialect
        "تصاوبت", "اتصاوبت", "انصاب", "انصابت", "تعورت", "اتعورت", "اتجرحت",
        # Arabizi
        "msab", "musab", "mosab", "msabe", "msabeh", "msabin", "mjrou7", "majrou7", "majroo7",
        "mjroo7", "majruh", "majrooh", "jari7", "jare7", "jarih", "jar7a", "ensabt", "nsabt",
        "2nsabt", "insabt", "tsawabt", "t3awart", "et3awart", "nazif", "nazeef", "2isabe",
        "2isaba", "isabe", "isaba", "esabe", "jri7",
    ],
    Intent.STATUS: ["status", "state", "حالتي", "وضعي", "7alti", "wad3i", "wade3i"],
    Intent.AT: [
        "at", "in", "moved", "arrived", "في", "ب", "عند", "انتقلت", "نقلت", "رحت", "وصلت",
        "fi", "fe", "b", "bel", "bil", "fil", "fel", "wasalt", "ro7t", "nta2alt", "enta2alt",
    ],
    Intent.ACK: ["ok", "okay", "okey", "اوكي", "اوك"],
    Intent.NEW: ["new", "جديد", "jdid", "jadid"],
    Intent.ALL: [
        "all", "everyone", "everybody", "team", "الكل", "الجميع", "جميع", "كل", "كلهم", "كلن",
        "الفريق", "elkol", "el kol", "elkel", "el kel", "kollon", "kellon", "kolhom", "eljami3",
    ],
    Intent.EXCEPT: [
        "except", "but", "excluding", "minus", "without", "ما عدا", "ماعدا", "عدا", "إلا",
        "غير", "بدون", "بس", "ma 3ada", "ma3ada", "3ada", "illa", "ella", "gheir", "ghair",
        "bas",
    ],
}  # fmt: skip

# Help words matched only as written (and behind an Arabic clitic), never at one typo: their
# near neighbours are everyday words (fire: fine, five; حريق, hariq: طريق, tariq road;
# 3ale2: 3ala on, 2ale he told me; 7ari2: 7aki talk).
EXACT_ONLY = frozenset(
    {
        "fire", "stuck", "حريق", "قبو", "hariq", "7ari2", "7aree2", "7areeq", "7ariq", "2abo",
        "2abu", "3ale2", "3al2an", "3al2in", "3al2een",
    }
)  # fmt: skip
