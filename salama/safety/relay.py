"""The coordinator's keyboard form for relayed news:

    K12 K14 K27 safe, call, 03:20
    K12 injured, voice note
    ك١٢ آمن، اتصال، ٠٣:٢٠

Comma-separated parts: codenames and a status word (any order), then optionally a source and
a time heard (HH:MM, organisation's local time; a time later than now means yesterday). The
parts after the first may come in either order. Arabic commas and digits are accepted.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salama.lib import clock
from salama.people.models import Status
from salama.safety.models import RelaySource

STATUS_WORDS = {
    Status.SAFE: ["safe", "ok", "fine", "امن", "آمن", "بخير", "تمام", "سالم"],
    Status.NEED_HELP: ["help", "need_help", "needhelp", "needs_help", "مساعدة", "مساعده", "نجدة"],
    Status.INJURED: ["injured", "hurt", "wounded", "مصاب", "جريح", "اصابة", "إصابة"],
}
SOURCE_WORDS = {
    RelaySource.CALL: ["call", "phone", "اتصال", "مكالمة", "هاتف"],
    RelaySource.VOICE_NOTE: ["voice", "voice note", "voicenote", "صوتية", "رسالة صوتية", "فويس"],
    RelaySource.MESSAGING_APP: ["app", "whatsapp", "signal", "telegram", "message", "واتساب"],
    RelaySource.IN_PERSON: ["in person", "person", "seen", "شخصيا", "وجها لوجه"],
    RelaySource.THIRD_PARTY: ["third party", "third", "via", "relative", "طرف ثالث", "قريب"],
}
CODENAME = re.compile(r"^[A-Za-z\u0600-\u06ff]{1,4}-?\d{1,5}$")
TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


@dataclass
class RelayEntry:
    codenames: list[str]
    status: str
    source: str
    heard_time: time | None


def _fold(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        out.append(str(unicodedata.digit(ch)) if ch.isdigit() else ch)
    return "".join(out).replace("،", ",").replace("؛", ",").casefold().strip()


def _lookup(word: str, table: dict) -> str | None:
    for value, words in table.items():
        if word in [_fold(w) for w in words]:
            return str(value)
    return None


def _codename(token: str) -> str:
    # Arabic kaf stands for K in codenames typed on an Arabic keyboard.
    return token.replace("ك", "K").replace("-", "").upper()


def parse_relayed_entry(text: str) -> RelayEntry:
    parts = [p.strip() for p in _fold(text).split(",")]
    if not parts or not parts[0]:
        raise ValidationError(_("Type codenames and a status, e.g. “K12 K14 safe, call, 03:20”."))
    codenames: list[str] = []
    status = None
    for token in parts[0].split():
        word_status = _lookup(token, STATUS_WORDS)
        if word_status:
            if status and status != word_status:
                raise ValidationError(_("Give one status per line."))
            status = word_status
        elif CODENAME.match(token):
            codenames.append(_codename(token))
        else:
            raise ValidationError(_("Not a codename or status: “%(word)s”.") % {"word": token})
    if not codenames:
        raise ValidationError(_("Name at least one codename."))
    if status is None:
        raise ValidationError(_("Add a status: safe, help or injured."))
    source = ""
    heard: time | None = None
    for part in parts[1:]:
        if not part:
            continue
        match = TIME.match(part)
        if match:
            hour, minute = int(match[1]), int(match[2])
            if hour > 23 or minute > 59:
                raise ValidationError(_("Not a time: “%(word)s”.") % {"word": part})
            heard = time(hour, minute)
        elif not source:
            source = _lookup(part, SOURCE_WORDS) or part[:80]
        else:
            raise ValidationError(_("Too many parts: “%(word)s”.") % {"word": part})
    return RelayEntry(
        codenames=list(dict.fromkeys(codenames)), status=status, source=source, heard_time=heard
    )


def heard_at_from(heard: time | None, zone: str, now: datetime | None = None) -> datetime | None:
    """Today's local time `heard`; yesterday's if that is still ahead of now."""
    if heard is None:
        return None
    now = now or clock.now()
    local_now = now.astimezone(ZoneInfo(zone))
    at = datetime.combine(local_now.date(), heard, tzinfo=ZoneInfo(zone))
    if at > local_now + timedelta(minutes=10):
        at -= timedelta(days=1)
    return at
