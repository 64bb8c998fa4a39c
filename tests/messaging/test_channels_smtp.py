"""The SMTP channel against a real SMTP server on 127.0.0.1 (a small one written here): the
message arrives; a 4xx answer is retried, a 5xx is dead."""

import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest

from salama.lib import clock
from salama.messaging import outbox
from salama.messaging.models import DeliveryState, Priority
from tests.messaging import outbox_helpers

frozen = outbox_helpers.frozen
phones = outbox_helpers.phones

pytestmark = pytest.mark.django_db


class Handler(socketserver.StreamRequestHandler):
    """Just enough SMTP: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    server: "SmtpServer"

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 test SMTP ready")
        sender, recipients = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode().strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test")
            elif verb == "MAIL":
                sender, recipients = command[10:], []
                self.reply("250 OK")
            elif verb == "RCPT":
                self.reply(self.server.rcpt_answer)
                if self.server.rcpt_answer.startswith("250"):
                    recipients.append(command[8:].strip("<>"))
            elif verb == "DATA":
                self.reply("354 go on")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                self.server.received.append((sender, recipients, b"".join(lines)))
                self.reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.received: list[tuple[str, list[str], bytes]] = []
        self.rcpt_answer = "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.DEFAULT_FROM_EMAIL = "salama@relief.test"
    yield server
    server.shutdown()
    server.server_close()


def queue_mail(world: Any, phones: Any) -> Any:
    message = outbox.queue_message(
        org=world.org,
        contact_point=phones.k1_mail,
        template="reply_received",
        context={"time": clock.now()},
        priority=Priority.LIFE_SAFETY,
        reason="reply",
        language="en",
    )
    assert message is not None
    return message.deliveries.get()


def test_the_email_arrives_at_the_smtp_server(world, phones, frozen, smtp) -> None:
    delivery = queue_mail(world, phones)
    assert delivery.channel == "smtp"
    assert outbox.dispatch_outbox()
    [(sender, recipients, data)] = smtp.received
    mail = message_from_bytes(data)
    assert "salama@relief.test" in sender and recipients == ["k1@example.org"]
    assert mail.get_payload(decode=True).decode().strip() == "Received 06:00, not yet seen"
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    message_id = mail["Message-ID"].strip()
    assert delivery.provider_ref == message_id and delivery.our_ref in message_id


def test_a_4xx_answer_is_retried(world, phones, frozen, smtp) -> None:
    smtp.rcpt_answer = "451 try later <k1@example.org>"
    delivery = queue_mail(world, phones)
    outbox.dispatch_outbox()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.last_error == "smtp 451"
    assert delivery.next_attempt_at > clock.now()
    smtp.rcpt_answer = "250 OK"
    frozen.shift(delivery.next_attempt_at - clock.now())
    outbox.dispatch_outbox()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and len(smtp.received) == 1


def test_a_5xx_answer_is_dead_without_the_address(world, phones, frozen, smtp) -> None:
    smtp.rcpt_answer = "550 no such user <k1@example.org>"
    delivery = queue_mail(world, phones)
    outbox.dispatch_outbox()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD and delivery.last_error == "smtp 550"
    assert not smtp.received


def test_no_server_is_a_temporary_error(world, phones, frozen, settings) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_HOST, settings.EMAIL_PORT = probe.getsockname()
    settings.EMAIL_USE_TLS = False
    delivery = queue_mail(world, phones)
    outbox.dispatch_outbox()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error.startswith("smtp ")
