"""I1 demo: a month of attacks on health care across the demo's areas, in both languages, in
every verification state; some incidents are consolidated from several partner reports, one is
a duplicate, one was verified at another certainty with a reason. The ATTACK text command is on
for the demo organisation. Idempotent: nothing is added once the organisation has a report.
All fictional."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from salama.accounts.models import Membership, Organisation, Role
from salama.incidents import services
from salama.incidents.models import Channel, Incident, Report
from salama.incidents.validation import ReportData
from salama.lib import clock
from salama.people.models import Area, Facility

# days ago, area, attack types, facility, damage, functionality, victims, narrative, sources,
# final state, reports (several: consolidated)
SCENES: list[dict[str, Any]] = [
    {"ago": 29, "area": "Al-Sukkari", "types": ["heavy_weapons"], "facility": "Field Hospital M1",
     "damage": "partial", "functionality": "partial",
     "victims": {"killed_provider": 2, "killed_total": 2, "injured_patient": 3, "injured_total": 5},
     "text": "قصف مدفعي أصاب الجناح الجراحي، استشهاد ممرضتين.", "sources": ["eyewitness_own_staff"],
     "state": "verified", "reports": 3},
    {"ago": 26, "area": "Masaken Hanano", "types": ["obstruction"], "facility": None,
     "damage": "unknown", "functionality": "unknown",
     "victims": {"killed_patient": 1, "killed_total": 1},
     "text": "Ambulance held four hours at a checkpoint; the patient died on the way.",
     "sources": ["eyewitness_told"], "state": "verified", "reports": 1},
    {"ago": 22, "area": "Al-Shaar", "types": ["armed_search", "abduction_arrest_detention"],
     "facility": "Hanano Clinic", "damage": "none", "functionality": "partial",
     "victims": {"detained_health_workers": 2},
     "text": "اقتحم مسلحون العيادة واعتقلوا طبيبين.",
     "sources": ["secondary_account", "local_media"],
     "state": "verified", "reports": 2},
    {"ago": 18, "area": "Al-Kalasa", "types": ["heavy_weapons", "setting_fire"],
     "facility": "Medical Store 3", "damage": "destroyed", "functionality": "none",
     "victims": {}, "text": "Air strike and fire destroyed the medical store.",
     "sources": ["social_media", "satellite"], "state": "verified", "reports": 2},
    {"ago": 15, "area": "Al-Ansari", "types": ["removal_of_assets"], "facility": "Bab Pharmacy",
     "damage": "none", "functionality": "partial", "victims": {},
     "text": "سرقة الأدوية والمولدة من الصيدلية.", "sources": ["hearsay"], "state": "under_review",
     "reports": 1},
    {"ago": 12, "area": "Bustan al-Qasr", "types": ["psychological"], "facility": None,
     "damage": "unknown", "functionality": "unknown", "victims": {},
     "text": "Staff received threats by phone to stop treating the wounded.",
     "sources": ["social_media"], "state": "unverifiable", "reports": 1},
    {"ago": 10, "area": "Al-Sukkari", "types": ["heavy_weapons"], "facility": "Field Hospital M1",
     "damage": "partial", "functionality": "partial", "victims": {"killed_total": 2},
     "text": "Shelling on the hospital again (the same attack as on day 29).", "sources": [],
     "state": "duplicate", "reports": 1},
    {"ago": 7, "area": "Tariq al-Bab", "types": ["individual_weapons"],
     "facility": "Ambulance Point East", "damage": "none", "functionality": "full",
     "victims": {"injured_provider": 1, "injured_total": 1},
     "text": "قناص أصاب مسعفًا قرب نقطة الإسعاف.", "sources": ["local_media"], "state": "verified",
     "certainty": "probable", "reason": "two calls from the ambulance crew", "reports": 1},
    {"ago": 5, "area": "Al-Mashhad", "types": ["unknown"], "facility": None, "damage": "unknown",
     "functionality": "unknown", "victims": {},
     "text": "Unclear report of an attack near a clinic.",
     "sources": [], "state": "withdrawn", "reports": 1},
    {"ago": 3, "area": "Masaken Hanano", "types": ["heavy_weapons"], "facility": "Hanano Clinic",
     "damage": "partial", "functionality": "partial", "victims": {"injured_total": 4},
     "text": "غارة قرب العيادة، أربعة جرحى.", "sources": ["social_media"], "state": "draft",
     "reports": 2},
    {"ago": 1, "area": "Al-Shaar", "types": ["assault"], "facility": None, "damage": "unknown",
     "functionality": "unknown", "victims": {}, "text": "A nurse was beaten at the gate.",
     "sources": [], "state": "unconsolidated", "reports": 1},
]  # fmt: skip

PATHS = {
    "draft": [],
    "under_review": ["under_review"],
    "verified": ["under_review", "verified"],
    "unverifiable": ["under_review", "unverifiable"],
    "withdrawn": ["withdrawn"],
}


def _victims(victims: dict[str, int], n: int) -> dict[str, int | None]:
    """The first report gives the breakdown; later reports of the same attack only a total
    (one more each: partners' numbers differ)."""
    if not n:
        return {k: v for k, v in victims.items()}
    return {k: v + n for k, v in victims.items() if k.endswith("_total") or k.startswith("det")}


def _reports(org: Organisation, scene: dict[str, Any], by: Membership) -> list[Report]:
    area = Area.objects.for_org(org).get(name_en=scene["area"])
    facility = (
        Facility.objects.for_org(org).filter(name=scene["facility"]).first()
        if scene["facility"]
        else None
    )
    reports = []
    for n in range(scene["reports"]):
        victims = _victims(scene["victims"], n)
        data = ReportData(
            occurred_on=(clock.now() - timedelta(days=scene["ago"])).date(), area=area,
            attack_types=scene["types"], facility=facility, damage=scene["damage"],
            functionality=scene["functionality"], victims=victims,
            resources={"facility": "yes" if facility else "unknown"},
            narrative=scene["text"],
        )  # fmt: skip
        channel = Channel.SMS if n == 1 else Channel.PAGE
        reports.append(services.create_report(org=org, data=data, channel=channel, by=by))
    return reports


def load() -> None:
    org = Organisation.objects.filter(slug="demo").first()
    if org is None or Report.objects.for_org(org).exists():
        return
    by = Membership.objects.filter(org=org, role=Role.COORDINATOR).order_by("pk").first()
    if by is None:
        return
    services.set_attack_command(org=org, on=True)
    org.settings["country"] = "SYR"
    org.save(update_fields=["settings"])
    original: Incident | None = None
    for scene in SCENES:
        reports = _reports(org, scene, by)
        if scene["state"] == "unconsolidated":
            continue
        incident = services.consolidate_reports(reports=reports, by=by)
        for kind in scene["sources"]:
            services.add_source(incident=incident, kind=kind, by=by)
        if scene["state"] == "duplicate" and original is not None:
            services.mark_duplicate(incident=incident, of=original, by=by)
            continue
        original = original or incident
        for to in PATHS[scene["state"]]:
            incident = services.move(
                incident=incident, to=to, by=by, certainty=scene.get("certainty", ""),
                reason=scene.get("reason", ""),
            )  # fmt: skip
