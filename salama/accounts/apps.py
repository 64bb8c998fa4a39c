from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "salama.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from salama.lib import dbquery

        # Our long statements converted once per process (salama.lib.dbquery).
        connection_created.connect(dbquery.use_on, dispatch_uid="salama.dbquery")
