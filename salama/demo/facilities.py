"""FA1 demo: the demo's facilities with status cards and a week of updates (twice a day), in
which Field Hospital M1 loses its generator (fuel runs out, electricity goes, functionality falls
to none) and a pharmacy falls under its oxygen threshold. Idempotent: nothing is added once the
organisation has any facility update. All fictional."""

from datetime import timedelta

from salama.accounts.models import Organisation
from salama.facilities import services
from salama.facilities.models import StatusUpdate
from salama.facilities.services import StockInput
from salama.lib import clock
from salama.people.models import Area, Facility
from salama.people.services import save_facility

# name: (code, HeRAMS type, affiliation, beds)
CARDS = {
    "Field Hospital M1": ("M4K", "secondary", "ngo", 40),
    "Field Hospital M2": ("T7R", "secondary", "ngo", 60),
    "Hanano Clinic": ("C3P", "primary", "ngo", 0),
    "Kalasa Children's Clinic": ("W9A", "primary", "private", 0),
    "Ambulance Point East": ("E6D", "other", "red_cross", 0),
    "Medical Store 3": ("S4N", "warehouse", "ngo", 0),
    "Bab Pharmacy": ("P7H", "pharmacy", "private", 0),
}
PHARMACY = ("Bab Pharmacy", "صيدلية الباب", "clinic", "Al-Ansari", 36.1795, 37.1539)
DAYS = 7


def _pharmacy(org: Organisation) -> None:
    name, name_ar, kind, area_name, lat, lon = PHARMACY
    area = Area.objects.for_org(org).filter(name_en=area_name).first()
    if area is None or Facility.objects.for_org(org).filter(name=name).exists():
        return
    save_facility(
        org=org, name=name, name_ar=name_ar, kind=kind, area=area, latitude=lat, longitude=lon
    )


def _week(facility: Facility, beds: int) -> None:
    name = facility.name
    start = clock.now() - timedelta(days=DAYS)
    for step in range(DAYS * 2):
        at = start + timedelta(hours=12 * step)
        day = step / 2
        fields: dict = {"stocks": {}}
        if beds:
            fields["beds_total"] = beds
            fields["beds_occupied"] = min(beds, beds // 2 + step * 2)
            fields["services"] = {"trauma": {"level": "full"}, "icu": {"level": "partial",
                                  "causes": ["staff", "equipment"]}}  # fmt: skip
            fields["stocks"]["blood"] = StockInput(on_hand=30 - step, daily_use=6)
        if name == "Field Hospital M1":
            fuel_hours = max(0.0, 96 - 12 * step) if step < 9 else 0.0
            fields["stocks"]["fuel"] = StockInput(days=fuel_hours / 24)
            fields["utilities"] = {"electricity": "full" if fuel_hours else "none"}
            fields["functionality"] = "full" if step < 7 else ("partial" if step < 10 else "none")
            if step >= 10:
                fields["services"] = {"trauma": {"level": "none", "causes": ["equipment"]}}
                fields["reasons"] = ["supplies"]
        elif name == "Bab Pharmacy":
            fields["functionality"] = "full"
            fields["stocks"]["oxygen"] = StockInput(on_hand=max(1, 24 - 2 * step), daily_use=4)
            fields["services"] = {"pharmacy": {"level": "full"}}
        else:
            fields["functionality"] = facility.functionality or "unknown"
            fields["stocks"]["fuel"] = StockInput(days=6 - day / 2)
        if name == "Field Hospital M2":
            fields["condition"], fields["accessibility"] = "slightly_damaged", "partial"
            fields["barriers"] = ["insecurity"]
        channel = "sms" if step % 3 == 0 else "page"
        services.record_update(facility=facility, channel=channel, observed_at=at, **fields)


def load() -> None:
    org = Organisation.objects.filter(slug="demo").first()
    if org is None or StatusUpdate.objects.for_org(org).exists():
        return
    _pharmacy(org)
    for facility in Facility.objects.for_org(org).order_by("pk"):
        code, kind, affiliation, beds = CARDS.get(facility.name, ("", "other", "other", 0))
        status = services.ensure_status(facility)
        services.save_card(
            facility=facility, code=code or status.code, facility_type=kind,
            affiliation=affiliation,
        )  # fmt: skip
        _week(facility, beds)
