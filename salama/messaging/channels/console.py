"""The console channel: a stand-in for an SMS gateway. Each send appends one JSON line to its own
sink (``settings.OUTBOX_CONSOLE_SINK``, by default ``var/outbox/console.jsonl``; ``-`` for the
standard output), with the delivery's reference, the address and the text, as a gateway would
receive them.

The sink is the *wire*, not the application log: it holds numbers and texts in clear, like a
gateway's own records, so keep it where the database's protections apply (or point it at
/dev/null). The application log never sees the address.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from salama.lib import clock
from salama.messaging.channels.base import Channel, TemporaryError

if TYPE_CHECKING:
    from salama.messaging.models import Delivery, Message


def sink_path() -> Path | None:
    target = str(settings.OUTBOX_CONSOLE_SINK)
    return None if target == "-" else Path(target)


class ConsoleChannel(Channel):
    name = "console"
    kinds = ("sms", "email")

    def send(self, delivery: Delivery, message: Message, address: str) -> str:
        line = json.dumps(
            {
                "at": clock.now().isoformat(),
                "org": delivery.org_id,
                "delivery": delivery.pk,
                "ref": delivery.our_ref,
                "channel": delivery.channel,
                "pid": os.getpid(),
                "to": address,
                "body": message.body,
            },
            ensure_ascii=False,
        )
        data = (line + "\n").encode()
        path = sink_path()
        if path is None:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
            return f"console:{delivery.our_ref}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One write of the whole line to an O_APPEND file, under a lock: lines from several
            # workers never interleave. A worker killed inside its write may have left part of
            # a line (Linux can cut a write at a page boundary once SIGKILL is pending): it is
            # ended first, so this line stands on its own.
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data
                os.write(fd, data)
            finally:
                os.close(fd)
        except OSError as exc:
            raise TemporaryError(f"console sink {exc.errno}") from None
        return f"console:{delivery.our_ref}"
