"""Settings for the ten-times-faster field roll calls of `make bench` (bench/rollcalls.py): the
deployment's settings with the outbox's retry back-off scaled down like the phones' pacing, so
a two-minute drop-off (twelve seconds here) is retried on the same time scale."""

from salama.settings import *  # noqa: F403

OUTBOX_BACKOFF_BASE = 3.0
OUTBOX_LIFE_SAFETY_BACKOFF_BASE = 0.5
