"""The SMTP channel: one e-mail per delivery to settings.EMAIL_HOST:EMAIL_PORT (STARTTLS and
login when configured). A 4xx answer or a broken connection is temporary (retried), a 5xx is
permanent (dead). Errors keep the reply code only: servers echo addresses in their texts."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING

from django.conf import settings

from salama.messaging.channels.base import Channel, PermanentError, TemporaryError

if TYPE_CHECKING:
    from salama.messaging.models import Delivery, Message


def _classify(code: int) -> Exception:
    if 400 <= code < 500:
        return TemporaryError(f"smtp {code}")
    return PermanentError(f"smtp {code}")


def _subject(body: str) -> str:
    first = body.strip().splitlines()[0] if body.strip() else ""
    return first[:60]


class SmtpChannel(Channel):
    name = "smtp"
    kinds = ("email",)

    def send(self, delivery: Delivery, message: Message, address: str) -> str:
        mail = EmailMessage()
        mail["From"] = settings.DEFAULT_FROM_EMAIL
        mail["To"] = address
        mail["Subject"] = _subject(message.body)
        domain = str(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2] or "localhost"
        mail["Message-ID"] = make_msgid(idstring=delivery.our_ref, domain=domain)
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(
                settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=settings.OUTBOX_SMTP_TIMEOUT
            ) as smtp:
                if settings.EMAIL_USE_TLS:
                    smtp.starttls()
                if settings.EMAIL_HOST_USER:
                    smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            raise _classify(max(codes) if codes else 550) from None
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TemporaryError(f"smtp {type(exc).__name__}") from None
        return str(mail["Message-ID"])
