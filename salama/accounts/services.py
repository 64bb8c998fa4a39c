from django.db import transaction

from salama.accounts.models import Organisation
from salama.lib import keyring


@transaction.atomic
def create_organisation(*, name: str, slug: str, time_zone: str = "UTC") -> Organisation:
    """An organisation and its keys: a data key and a separate lookup key in the keyring."""
    org = Organisation(name=name, slug=slug, time_zone=time_zone)
    org.full_clean()
    org.save()
    keyring.ensure_org_keys(org.pk)
    return org
