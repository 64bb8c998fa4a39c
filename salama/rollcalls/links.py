"""Signed answer links (only when the organisation turns them on: setting ``answer_links``).

A link names one recipient row, signed (django.core.signing, its own salt), and works until the
roll call's deadline or close. Its GET only shows a confirmation page with the options (link
previews fetch links: a GET never records anything); its POST records the answer.
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from salama.accounts.models import Organisation
from salama.lib import clock
from salama.lib.fields import seal
from salama.messaging.models import Message
from salama.rollcalls.models import RollCall, RollCallRecipient, RollCallState

SALT = "salama.rollcalls.answer-link"


def token_for(recipient: RollCallRecipient) -> str:
    return signing.dumps({"r": recipient.pk}, salt=SALT, compress=True)


def recipient_for(token: str) -> RollCallRecipient | None:
    """The recipient of a valid link whose roll call is open and before its deadline."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    row = (
        RollCallRecipient.objects.filter(pk=data.get("r"), withheld="")
        .select_related("roll_call__org", "person")
        .first()
    )
    if row is None or not row.org.setting("answer_links", False):
        return None
    roll_call = row.roll_call
    if roll_call.state != RollCallState.OPEN or roll_call.deadline_at <= clock.now():
        return None
    return row


def add_links(org: Organisation, roll_call: RollCall) -> int:
    """Append each recipient's own link to their roll-call text (own phones only: a shared
    phone's text answers for several people). Needs the organisation's ``public_url``."""
    base = str(org.setting("public_url", "") or "").rstrip("/")
    if not org.setting("answer_links", False) or not base:
        return 0
    rows = RollCallRecipient.objects.filter(
        roll_call=roll_call, message__isnull=False, contact_point__is_shared=False
    ).select_related("message")
    done = 0
    for row in rows:
        message = row.message
        assert message is not None
        url = base + reverse("rollcalls:link", kwargs={"link_token": token_for(row)})
        Message.objects.filter(pk=message.pk).update(body=seal(org.pk, f"{message.body} {url}"))
        done += 1
    return done
