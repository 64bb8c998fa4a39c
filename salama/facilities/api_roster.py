"""Adding and changing facilities of the roster over JSON — the same service as the page
(salama/people/groups.py `save_facility`). In the facilities app's router, whose paths
(/facilities, /facilities/{id}) they share; the status itself is the `updates` operation."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.facilities.api import router
from salama.lib.apiaccess import api_roles, located, org_of, pages
from salama.people import services
from salama.people.models import Area, Facility, FacilityKind, Functionality


class FacilityIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    name_ar: str = Field("", max_length=120)
    aliases: str = Field("", max_length=2000)
    kind: FacilityKind
    area_id: int
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    functionality: Functionality | None = None


class FacilityRecordOut(Schema):
    id: int
    name: str
    name_ar: str
    kind: str
    area_id: int
    functionality: str


def _out(facility: Facility) -> dict[str, Any]:
    return {
        "id": facility.pk, "name": facility.name, "name_ar": facility.name_ar,
        "kind": facility.kind, "area_id": facility.area_id,
        "functionality": facility.functionality,
    }  # fmt: skip


def _save(request: HttpRequest, payload: FacilityIn, facility: Facility | None) -> Facility:
    org = org_of(request)
    area = Area.objects.for_org(org).filter(pk=payload.area_id).first()
    if area is None:
        raise HttpError(422, _("Unknown area."))
    fields = payload.model_dump(exclude={"area_id"}, exclude_none=True)
    try:
        return services.save_facility(org=org, facility=facility, area=area, **fields)
    except ValidationError as exc:
        raise HttpError(422, " ".join(exc.messages)) from exc


@router.post(
    "/facilities",
    response={201: FacilityRecordOut},
    openapi_extra=pages("people:facility_new", created=True),
)
@api_roles(*COORDINATING)
def create_facility(request: HttpRequest, response: HttpResponse, payload: FacilityIn) -> Answer:
    facility = _save(request, payload, None)
    located(response, f"/facilities/{facility.pk}")
    return Answer(201, _out(facility))


@router.put(
    "/facilities/{facility_id}",
    response=FacilityRecordOut,
    openapi_extra=pages("people:facility_edit"),
)
@api_roles(*COORDINATING)
def update_facility(request: HttpRequest, facility_id: int, payload: FacilityIn) -> dict[str, Any]:
    facility = get_object_or_404(Facility.objects.for_org(org_of(request)), pk=facility_id)
    return _out(_save(request, payload, facility))
