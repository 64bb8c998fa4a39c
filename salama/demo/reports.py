"""R1 demo: the day's internal and partner sitreps for the demo organisation, written once
(idempotent: nothing is added once it has a report). Partners may see areas in the demo, not
facility names. All fictional."""

from salama.accounts.models import Organisation
from salama.reports import services
from salama.reports.models import Report


def load() -> None:
    org = Organisation.objects.filter(slug="demo").first()
    if org is None or Report.objects.for_org(org).exists():
        return
    services.save_options(
        org=org, sitrep_hour=18, retention_days=90, area_detail="area", facility_names=False
    )
    services.generate_report(org=org, edition="internal")
    services.generate_report(org=org, edition="partner")
