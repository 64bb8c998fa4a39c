"""What the text handler (salama.messaging.handler.handle) calls: one import for both hooks."""

from salama.rollcalls.duress import check_duress, is_duress
from salama.rollcalls.services import answer_from_text

__all__ = ["answer_from_text", "check_duress", "is_duress"]
