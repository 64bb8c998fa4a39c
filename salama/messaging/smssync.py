"""The stock SMSSync app's side of the Android gateway (docs/channels.md, "SMSSync"): where its
secret travels, how its texts are posted, and the answers it expects.

The app has one Sync URL and marks what it wants by ``?task=``:

- no task, POST (a form, or JSON when its sync scheme says so): one text received, as
  ``from``, ``message``, ``message_id``, ``sent_timestamp`` (Unix milliseconds), ``secret``;
  answered ``{"payload": {"success": true, "error": null}}``. Anything else keeps the text on
  the phone, which posts it again later: so a text Salama could not store is never answered 200.
- ``GET ?task=send&secret=…``: the poll; answered ``{"payload": {"task": "send", "secret": …,
  "messages": [{"to", "message", "uuid"}]}}`` (the app sends nothing unless the secret it gets
  back is its own).
- ``POST ?task=sent`` ``{"queued_messages": [uuid, …]}``: the texts the app has queued; answered
  ``{"message_uuids": [...]}``, those it may send. The app sends no secret with this call, so
  without one it is only an echo of references handed to this phone (random, known only to the
  phone that polled them), and changes nothing.
- ``GET ?task=result&secret=…``: answered ``{"message_uuids": [...]}``, the texts waiting for a
  report; ``POST ?task=result&secret=…`` ``{"message_result": [{"uuid",
  "sent_result_code", "delivered_result_code", …}]}``: the reports.

Salama's own protocol (``Authorization: Bearer``, ``{"messages": [...]}``) is read by the same
functions, so both kinds of phone use the same endpoints.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse, QueryDict

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def body_of(request: HttpRequest) -> dict[str, Any]:
    """The request's fields: a form, or a JSON object; anything else: empty."""
    if request.content_type in FORM_TYPES:
        # Django parses a form only on POST; SMSSync's "PUT" scheme sends the same form.
        form = request.POST if request.method == "POST" else QueryDict(request.body)
        return {key: form.get(key, "") for key in form}
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def given_secret(request: HttpRequest) -> str:
    """The secret as the phone sent it: the bearer token, else SMSSync's ``secret`` (query,
    form or JSON field)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    secret = request.GET.get("secret") or body_of(request).get("secret") or ""
    return secret if isinstance(secret, str) else ""


def texts_of(request: HttpRequest) -> list[dict[str, Any]] | None:
    """The texts posted, in Salama's item shape (``id``, ``from``, ``text``, ``sent_at`` or
    ``sent_timestamp``); None when the body holds no text at all."""
    data = body_of(request)
    items = data.get("messages")
    if isinstance(items, list):
        return [i if isinstance(i, dict) else {} for i in items]
    if not any(key in data for key in ("from", "message", "message_id", "text", "id")):
        return None
    return [
        {
            "id": data.get("message_id", data.get("id", "")),
            "from": data.get("from", ""),
            "text": data.get("message", data.get("text", "")),
            "sent_timestamp": data.get("sent_timestamp"),
            "sent_at": data.get("sent_at"),
        }
    ]


def uuids_of(request: HttpRequest, key: str) -> list[str]:
    values = body_of(request).get(key, [])
    return [str(v)[:32] for v in values if isinstance(v, str)] if isinstance(values, list) else []


def results_of(request: HttpRequest) -> list[dict[str, Any]]:
    """SMSSync's message results as Salama's reports (``ref``, ``status``, ``error``): a send
    that failed (a result code other than 0) is "failed", a delivery report of 0 "delivered",
    anything else "sent" (no change)."""
    reports = []
    for item in body_of(request).get("message_result", []) or []:
        if not isinstance(item, dict):
            continue
        sent, delivered = item.get("sent_result_code"), item.get("delivered_result_code")
        if sent not in (0, "0", None):
            status, error = "failed", f"code {str(sent)[:8]}"
        elif delivered in (0, "0"):
            status, error = "delivered", ""
        else:
            status, error = "sent", ""
        reports.append({"ref": str(item.get("uuid", "")), "status": status, "error": error})
    return reports


def answer(success: bool, error: str | None = None, status: int = 200, **more: Any) -> JsonResponse:
    """SMSSync's answer to a posted text (with Salama's ``ok`` beside it)."""
    body = {"payload": {"success": success, "error": error}, "ok": success, **more}
    return JsonResponse(body, status=status)


def to_send(messages: list[dict[str, Any]], secret: str) -> JsonResponse:
    """The poll's answer in SMSSync's shape: the app sends nothing unless `secret` is its own
    (echoed from its request, which carried it)."""
    payload = [{"to": m["to"], "message": m["text"], "uuid": m["ref"]} for m in messages]
    return JsonResponse({"payload": {"task": "send", "secret": secret, "messages": payload}})
