"""Structured log lines. Messages carry ids and actions only; the formatter also refuses to print
anything that looks like a phone number, so a careless log call cannot leak one."""

import json
import logging
import re

PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": PHONE_LIKE.sub("[number]", record.getMessage()),
        }
        for key in ("org", "user", "action", "object", "delivery", "job"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = record.exc_info[0].__name__ if record.exc_info[0] else "error"
        return json.dumps(entry, ensure_ascii=False)
