"""Every outbound text, as a template the organisation can reword, in both languages.

A template is plain ``str.format`` with named fields only (``{codename} {status}``): no positional
fields, attribute or index access, conversions or format specs. Each key declares its fields; an
organisation's wording that names any other field is refused.

The defaults name no organisation, person or place, carry no note, and each fits one SMS segment
in both languages (tests/messaging/test_templates.py computes it). Other parts register their own
keys with ``define``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Organisation

LANGUAGES = ("ar", "en")


@dataclass(frozen=True)
class TextSpec:
    key: str
    default: Promise  # translated into the recipient's language at render time
    fields: tuple[str, ...] = ()
    help: Promise | str = ""
    # Values used to show the length of a wording (the longest likely ones).
    sample: Mapping[str, str] = field(default_factory=dict)


TEXTS: dict[str, TextSpec] = {}


def define(spec: TextSpec) -> TextSpec:
    TEXTS[spec.key] = spec
    return spec


_TIME = "23:59"
define(
    TextSpec(
        "login_link",
        _("{link}"),
        ("link",),
        _("The one-time login link to a field member's own number. Neutral: the link alone."),
        {"link": "https://salama.example.org/l/AbCdEfGhIjKlMnOpQrStUv"},
    )
)
define(
    TextSpec(
        "alert_life_safety",
        _("{codename} {status} - reply OK {alert}"),
        ("codename", "status", "alert"),
        _("A life-safety alert to a lead, responder or coordinator. Never a note or a place."),
        {"codename": "K1234", "status": "INJURED", "alert": "9999999"},
    )
)
define(
    TextSpec(
        "alert_life_safety_info",
        _("{codename} {status} ({alert})"),
        ("codename", "status", "alert"),
        _(
            "A life-safety alert to someone who may not acknowledge it by text (a focal point, "
            "a responder's phone of nobody): no reply asked for."
        ),
        {"codename": "K1234", "status": "INJURED", "alert": "9999999"},
    )
)
define(
    TextSpec(
        "alert_ack_seen",
        _("Seen {time}"),
        ("time",),
        _("To the person who asked for help, once someone acknowledged it."),
        {"time": _TIME},
    )
)
define(
    TextSpec(
        "reply_received",
        _("Received {time}, not yet seen"),
        ("time",),
        _("To the person who asked for help, at once."),
        {"time": _TIME},
    )
)
define(
    TextSpec(
        "digest_overdue",
        _("Not heard from: {count}"),
        ("count",),
        _("The digest of people overdue, to leads and the coordinator on duty. Counts only."),
        {"count": "9999"},
    )
)
define(
    TextSpec(
        "outage",
        _("Possible outage: {count} silent at once. See the duty page."),
        ("count",),
        _("A possible network outage. The area is named on the page, never in the text."),
        {"count": "9999"},
    )
)
define(
    TextSpec(
        "reminder",
        _("Reply 1 if you are well."),
        (),
        _("A reminder to a person who is due, where the organisation allows it."),
    )
)
define(
    TextSpec(
        "reply_unknown",
        _("Message received."),
        (),
        _("The reply to an unknown number, whatever it sent."),
    )
)
define(
    TextSpec(
        "reply_status",
        _("Last: {status} {time}"),
        ("status", "time"),
        _("The reply to STATUS: the sender's own last state and its time, nothing else."),
        {"status": "INJURED", "time": _TIME},
    )
)
define(
    TextSpec(
        "reply_ask_codename",
        _("Shared phone: send your code and the word, e.g. K1 SAFE"),
        (),
        _("Asked back when a shared phone sends a bare SAFE."),
    )
)
define(
    TextSpec(
        "reply_not_understood",
        _("Not understood. Reply 1 safe, 2 help, 3 injured."),
        (),
        _("Asked back, at most once, when a text is not understood."),
    )
)
define(
    TextSpec(
        "reply_ok",
        _("Received {time}"),
        ("time",),
        _("The reply to a check-in."),
        {"time": _TIME},
    )
)
define(
    TextSpec(
        "reply_proxy_help_open",
        _("Received {time}. {count} not marked safe: they asked for help."),
        ("time", "count"),
        _("The reply to a lead's SAFE ALL that left out people whose call for help is open."),
        {"time": _TIME, "count": "99"},
    )
)

define(
    TextSpec(
        "reply_to_person",
        _("Received {time}. A person will read it."),
        ("time",),
        _("When a text is still unclear after asking back once: a coordinator will read it."),
        {"time": _TIME},
    )
)
define(
    TextSpec(
        "reply_ack",
        _("Alert {alert}: it is yours."),
        ("alert",),
        _("To a lead or coordinator who acknowledged an alert by text (OK and its number)."),
        {"alert": "9999999"},
    )
)
define(
    TextSpec(
        "reply_ack_taken",
        _("Alert {alert}: already taken or closed."),
        ("alert",),
        _("To a lead or coordinator whose OK came after someone else's, or too late."),
        {"alert": "9999999"},
    )
)

# Status words, for the {status} field of other texts: templates too, so an organisation can
# choose its own words (a code word instead of HELP, say).
STATUS_KEYS = {
    "SAFE": "status_safe",
    "NEED_HELP": "status_help",
    "INJURED": "status_injured",
    "DURESS": "status_duress",
}
define(TextSpec("status_safe", _("SAFE"), (), _("The status word for safe, inside other texts.")))
define(
    TextSpec("status_help", _("HELP"), (), _("The status word for needs help, inside other texts."))
)
define(
    TextSpec(
        "status_injured", _("INJURED"), (), _("The status word for injured, inside other texts.")
    )
)
# Duress, as coordinators read it in an alert: a neutral word agreed with them, never "SAFE"
# (what the coerced person sent) and never a word that tells a reader of the wire what it is.
define(
    TextSpec(
        "status_duress",
        _("CHECK"),
        (),
        _(
            "The word for a duress signal, inside alerts to coordinators. Agree a neutral word "
            "with them; never one that says what it means."
        ),
    )
)


def status_word(status: str, language: str, org: Organisation | None = None) -> str:
    """The word for a check-in status (SAFE, NEED_HELP, INJURED) in a text, in `language`: the
    organisation's wording when given, else the default."""
    key = STATUS_KEYS.get(status)
    if key is None:
        return status
    return body_for(org, key, language) if org is not None else default_body(key, language)


def default_body(key: str, language: str) -> str:
    with translation.override(language):
        return str(TEXTS[key].default)


def fields_of(body: str) -> list[str]:
    """The field names in a wording; ValueError (translated) if it is not a plain template."""
    names = []
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError:
        raise ValueError(_("Unbalanced braces: write { and } only around a field name.")) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(_("Write each field as {name}, with nothing else inside the braces."))
        names.append(name)
    return names


def validate_body(key: str, body: str) -> None:
    """Raise ValidationError (translated) unless `body` is a usable wording of `key`."""
    spec = TEXTS.get(key)
    if spec is None:
        raise ValidationError(_("Unknown template."))
    if not body.strip():
        raise ValidationError(_("The text cannot be empty."))
    try:
        names = fields_of(body)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    unknown = sorted(set(names) - set(spec.fields))
    if unknown:
        allowed = ", ".join("{" + f + "}" for f in spec.fields) or _("none")
        raise ValidationError(
            _("Unknown field %(field)s. Fields you can use here: %(allowed)s."),
            params={"field": "{" + unknown[0] + "}", "allowed": allowed},
        )


def body_for(org: Organisation, key: str, language: str) -> str:
    """The organisation's wording of `key` in `language`, or the default."""
    from salama.messaging.models import MessageTemplate

    override = (
        MessageTemplate.objects.for_org(org)
        .filter(key=key, language=language)
        .values_list("body", flat=True)
        .first()
    )
    return override if override else default_body(key, language)


def local_time(org: Organisation, moment: datetime) -> str:
    """A time as texts show it: HH:MM in the organisation's time zone (DESIGN §5)."""
    return moment.astimezone(ZoneInfo(org.time_zone)).strftime("%H:%M")


class _Unread:
    """No wording read yet: render reads the organisation's override itself."""


UNREAD: Any = _Unread()


def render(
    org: Organisation,
    key: str,
    language: str,
    context: Mapping[str, Any],
    override: str | None = UNREAD,
) -> str:
    """The text for `key` in `language`. Datetimes in `context` are shown as local HH:MM. A field
    the template declares but the caller did not give is a programming error (KeyError).
    `override`: the organisation's wording of `key` in `language` as the caller read it in this
    transaction (None or empty: there is none, the default), so it is not read again."""
    spec = TEXTS[key]
    values = {}
    for name in spec.fields:
        value = context[name]
        values[name] = local_time(org, value) if isinstance(value, datetime) else str(value)
    if isinstance(override, _Unread):
        body = body_for(org, key, language)
    else:
        body = override or default_body(key, language)
    return body.format(**values)


def sample_text(key: str, body: str) -> str:
    """`body` filled with the key's longest likely values, to count its SMS segments."""
    spec = TEXTS[key]
    values = {name: spec.sample.get(name, "x" * 8) for name in spec.fields}
    return body.format(**values)


def save_wording(
    *,
    org: Organisation,
    key: str,
    language: str,
    body: str,
    actor_id: int | None = None,
    request: Any = None,
) -> None:
    """Store the organisation's wording of `key` in `language` (validated), audited."""
    from django.db import transaction

    from salama.accounts import audit
    from salama.lib import clock
    from salama.messaging.models import MessageTemplate

    if language not in LANGUAGES:
        raise ValidationError(_("Unknown language."))
    validate_body(key, body)
    with transaction.atomic():
        row, _created = MessageTemplate.objects.for_org(org).update_or_create(
            org=org, key=key, language=language, defaults={"body": body, "updated_at": clock.now()}
        )
        audit.record(
            "messaging.text_save",
            org_id=org.pk,
            actor_id=actor_id,
            obj=row,
            request=request,
            detail={"key": key, "language": language},
        )


def reset_wording(
    *, org: Organisation, key: str, language: str, actor_id: int | None = None, request: Any = None
) -> None:
    """Go back to the default wording, audited."""
    from django.db import transaction

    from salama.accounts import audit
    from salama.messaging.models import MessageTemplate

    with transaction.atomic():
        deleted, _rows = (
            MessageTemplate.objects.for_org(org).filter(key=key, language=language).delete()
        )
        if deleted:
            audit.record(
                "messaging.text_reset",
                org_id=org.pk,
                actor_id=actor_id,
                request=request,
                detail={"key": key, "language": language},
            )


define(
    TextSpec(
        "code_locked",
        _("Alert {alert}: a code was tried too often. See the duty page."),
        ("alert",),
        _("To the coordinators when a personal code, or one number, has too many failed tries."),
        {"alert": "9999"},
    )
)
