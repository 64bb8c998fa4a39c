"""Exports: CSV with HXL hashtags on the second header row (tags as used for attacks on health
care on HDX), an untagged CSV beside each, in a public and an internal form, and GeoJSON
(RFC 7946: longitude before latitude; internal only, at the area's centre).

The public CSV reads only `selectors.public_rows` (the published columns of verified incidents
at possible or above); attack types are one yes/no column per code, never a joined cell. Values
are codes; the first header row is in the reader's language. Rows are streamed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from salama.accounts.models import Organisation
from salama.incidents import selectors
from salama.incidents.vocabulary import ATTACK_TYPES, RESOURCES, SOURCE_KINDS, label

Column = tuple[str, str, str]  # key, HXL tag, header (translated)


def _type_columns() -> list[Column]:
    return [(f"type_{c}", f"#event +type +{c}", label("attack_type", c)) for c in ATTACK_TYPES]


def _resource_columns() -> list[Column]:
    return [
        (f"resource_{c}", f"#indicator +resource_affected +{c}", label("resource", c))
        for c in RESOURCES
    ]


def public_columns(org: Organisation) -> list[Column]:
    cols: list[Column] = [
        ("number", "#event +id", _("Incident")),
        ("country", "#country +code", _("Country")),
    ]
    if selectors.publishes_area(org):
        cols.append(("area", "#adm1 +name", _("Area")))
    cols += [
        ("occurred_on", "#date +occurred", _("Date")),
        ("occurred_time", "#date +occurred +time", _("Time")),
        *_type_columns(),
        *_resource_columns(),
        ("facility_type", "#loc +type +facility", _("Facility type")),
        ("killed", "#affected +killed", _("Deaths")),
        ("injured", "#affected +injured", _("Injuries")),
        ("detained", "#affected +detained", _("Abducted, arrested or detained")),
        ("certainty", "#status +certainty", _("Certainty")),
    ]
    return cols


def _groups(what: str, tag: str) -> list[Column]:
    return [
        (f"{what}_provider", f"#affected +healthworker +{tag}", _("Health care providers")),
        (f"{what}_auxiliary", f"#affected +healthworker +auxiliary +{tag}", _("Auxiliary staff")),
        (f"{what}_patient", f"#affected +patient +{tag}", _("Patients")),
        (f"{what}_other", f"#affected +other +{tag}", _("Others")),
        (f"{what}_total", f"#affected +{tag}", _("Total")),
    ]


def internal_columns() -> list[Column]:
    return [
        ("number", "#event +id", _("Incident")),
        ("state", "#status +verification", _("State")),
        ("ssa_version", "#meta +ssa_version", _("SSA version")),
        ("occurred_on", "#date +occurred", _("Date")),
        ("occurred_time", "#date +occurred +time", _("Time")),
        ("area__name_en", "#adm1 +name", _("Area")),
        ("area__latitude", "#geo +lat", _("Latitude (area centre)")),
        ("area__longitude", "#geo +lon", _("Longitude (area centre)")),
        *_type_columns(),
        *_resource_columns(),
        ("facility__name", "#loc +name", _("Facility")),
        ("facility_type", "#loc +type +facility", _("Facility type")),
        ("affiliation", "#org +type", _("Affiliation")),
        ("damage", "#status +damage", _("Damage")),
        ("functionality", "#status +functionality", _("Functionality after")),
        *_groups("killed", "killed"),
        *_groups("injured", "injured"),
        ("detained_health_workers", "#affected +healthworker +detained",
         _("Health workers detained")),
        ("detained_patients", "#affected +patient +detained", _("Patients detained")),
        ("targeted", "#indicator +targeted", _("Targeted")),
        ("impact_kind", "#indicator +impact", _("Impact")),
        ("certainty", "#status +certainty", _("Certainty")),
        ("certainty_suggested", "#status +certainty +suggested", _("Suggested certainty")),
        *[(f"source_{k}", f"#meta +source +{k}", label("source_kind", k)) for k in SOURCE_KINDS],
        ("duplicate_of__number", "#event +id +duplicate_of", _("Duplicate of")),
    ]  # fmt: skip


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    types = set(row.get("attack_types") or [])
    for code in ATTACK_TYPES:
        row[f"type_{code}"] = "yes" if code in types else "no"
    resources = row.get("resources") or {}
    for code in RESOURCES:
        row[f"resource_{code}"] = resources.get(code, "unknown")
    return row


def public_records(org: Organisation) -> Iterator[dict[str, Any]]:
    country = str(org.setting("country", "") or "")
    for row in selectors.public_rows(org):
        row = _flat(row)
        row["country"] = country
        row["area"] = row.get(selectors.PUBLIC_AREA_COLUMN, "")
        row["killed"] = row["killed_total"]
        row["injured"] = row["injured_total"]
        detained = [row["detained_health_workers"], row["detained_patients"]]
        row["detained"] = None if detained == [None, None] else sum(d or 0 for d in detained)
        yield row


def internal_records(org: Organisation, filters: selectors.Filters) -> Iterator[dict[str, Any]]:
    batch: list[dict[str, Any]] = []
    for row in selectors.internal_rows(org, filters):
        batch.append(_flat(row))
        if len(batch) >= 1000:
            yield from _with_sources(org, batch)
            batch = []
    yield from _with_sources(org, batch)


def _with_sources(org: Organisation, batch: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    kinds = selectors.source_kinds(org, [r["id"] for r in batch])
    for row in batch:
        listed = set(kinds.get(row["id"], []))
        for kind in SOURCE_KINDS:
            row[f"source_{kind}"] = "yes" if kind in listed else "no"
        yield row


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def csv_lines(
    columns: list[Column], records: Iterable[dict[str, Any]], *, tagged: bool
) -> Iterator[str]:
    """The CSV as lines to stream: headers, the HXL row when tagged, then one line a record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(header for _key, _tag, header in columns)
    if tagged:
        yield line(tag for _key, tag, _header in columns)
    keys = [key for key, _tag, _header in columns]
    for record in records:
        yield line(_cell(record.get(key)) for key in keys)


def geojson(org: Organisation, filters: selectors.Filters) -> dict[str, Any]:
    """Internal: each incident at its area's centre ([longitude, latitude], RFC 7946)."""
    features = []
    for row in selectors.internal_rows(org, filters):
        if row["area__latitude"] is None or row["area__longitude"] is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [row["area__longitude"], row["area__latitude"]],
                },
                "properties": {
                    "number": row["number"], "state": row["state"],
                    "date": _cell(row["occurred_on"]), "area": row["area__name_en"],
                    "attack_types": row["attack_types"], "certainty": row["certainty"],
                    "killed": row["killed_total"], "injured": row["injured_total"],
                },
            }
        )  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def geojson_text(org: Organisation, filters: selectors.Filters) -> str:
    return json.dumps(geojson(org, filters), ensure_ascii=False)
