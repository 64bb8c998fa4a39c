"""The alerts app's own outbound texts: the e-mail ones carry the breakdown by area, which never
goes by SMS unless the organisation opts in. Registered from AlertsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from salama.messaging.texts import TextSpec, define


def register() -> None:
    define(
        TextSpec(
            "digest_overdue_detail",
            _("Not heard from: {count}. {breakdown}"),
            ("count", "breakdown"),
            _("The digest by e-mail (or SMS where the organisation opts in), with areas."),
            {"count": "99", "breakdown": "A: 1 (K1)"},
        )
    )
    define(
        TextSpec(
            "outage_detail",
            _("Possible outage: {count} silent at once in {area}. See the duty page."),
            ("count", "area"),
            _("A possible outage by e-mail: the area is named here, never in an SMS."),
            {"count": "99", "area": "Area"},
        )
    )
    define(
        TextSpec(
            "outage_lead",
            _("Possible outage: {count} of your team silent at once."),
            ("count",),
            _("A possible outage, to a lead: how many of their own people it holds, no area."),
            {"count": "9999"},
        )
    )
