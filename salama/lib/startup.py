from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def check_deployment() -> None:
    """Outside demo mode the server refuses to start with a demo secret or none. In key unlock
    mode it refuses to start while the keyring is locked."""
    from salama.lib import keyring

    keyring.check_unlocked()
    if settings.DEMO:
        return
    if settings.SECRET_KEY_IS_DEMO:
        raise ImproperlyConfigured(
            "SALAMA_SECRET_KEY is missing or is a demo secret. Set a long random value "
            "(see docs/configuration.md), or run `make demo` for the demonstration."
        )
    if len(settings.SECRET_KEY) < 40:
        raise ImproperlyConfigured("SALAMA_SECRET_KEY must be at least 40 characters long.")
