import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salama.settings")

from salama.lib.startup import check_deployment  # noqa: E402

check_deployment()
application = get_wsgi_application()
