"""Facility pages: the board (table and map, filters, "where can a trauma case go now"), a
facility's page with its history chart, the quick update for a lead on a phone, the status
card, and the exports. Every page calls the selectors and services; none holds a rule."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from salama.accounts.access import COORDINATING, roles
from salama.accounts.models import Membership, Organisation, Role
from salama.facilities import chart, export, keywords, selectors, services
from salama.facilities.forms import CardForm, KeywordsForm, UpdateForm
from salama.facilities.models import Channel
from salama.facilities.textparse import DEFAULT_WORDS
from salama.facilities.vocabulary import Cause, FacilityType, Functionality, Service, Stock
from salama.lib.names import local_value
from salama.people.models import Area, Facility
from salama.safety.views import local_time

READERS = (*COORDINATING, Role.FIELD_LEAD)
PAGE_SIZE = 100  # table rows at once; the map shows every facility


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _facility(request: HttpRequest, facility_id: int) -> Facility:
    facility = selectors.facility_of(_org(request), facility_id)
    if facility is None:
        raise Http404
    return facility


@roles(*READERS)
@local_time
def board(request: HttpRequest) -> HttpResponse:
    filters = selectors.BoardFilters.from_query(request.GET)
    services.ensure_cards(_org(request).pk)
    rows = selectors.board_values(_org(request), filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "rows": _table(
            selectors.table_values(_org(request), list(page.object_list)),
            request.LANGUAGE_CODE == "ar",
        ),
        "page": page,
        "query": query.urlencode(),
        "total": len(rows),
        "filters": filters,
        "counts": selectors.counts(rows),
        "areas": Area.objects.for_org(_org(request)).order_by("name_en"),
        "types": _plain(FacilityType.choices),
        "services": _plain(Service.choices),
        "functionalities": _plain(Functionality.choices),
        # Escaped for a <script type="application/json"> block as json_script would, faster.
        "points": json.dumps(selectors.map_points(rows), ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026"),
        "detail_url": reverse("facilities:detail", kwargs={"facility_id": 0}),
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "trauma": filters.service == Service.TRAUMA,
        "alerts": selectors.open_alerts(_org(request)),
        "stock_labels": dict(_plain(Stock.choices)),
        "days_word": _("days"),
    }
    return render(request, "facilities/board.html", context)


def _plain(choices: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Choices with their labels translated once (lazy labels cost per use in a template)."""
    return [(code, str(label)) for code, label in choices]


def _table(rows: Any, arabic: bool) -> list[dict[str, Any]]:
    """The table's rows as plain values: the page renders 100 of 2,000 facilities within the
    benchmark's budget only without per-row lookups in the template."""
    base = reverse("facilities:detail", kwargs={"facility_id": 0}).replace("/0/", "/{}/")
    types, funcs = dict(_plain(FacilityType.choices)), dict(_plain(Functionality.choices))
    out = []
    for row in rows:
        beds = "—"
        if row["beds_total"] is not None:
            occupied = "?" if row["beds_occupied"] is None else row["beds_occupied"]
            beds = f"{occupied}/{row['beds_total']}"
        out.append(
            {
                "id": row["facility_id"], "url": base.format(row["facility_id"]),
                "code": row["code"], "type": types.get(row["facility_type"], ""),
                "name": local_value(row, "facility__", "ar" if arabic else "en"),
                "area": local_value(row, "facility__area__", "ar" if arabic else "en"),
                "functionality": row["functionality"],
                "func_label": funcs.get(row["functionality"]), "beds": beds,
                "min_days": row["min_days"], "is_low": bool(row["low_stocks"]),
                "seen": row["observed_at"],
            }
        )  # fmt: skip
    return out


def _stock_rows(facility: Facility) -> list[dict[str, Any]]:
    status = getattr(facility, "status", None)
    if status is None:
        return []
    rows = []
    for stock in Stock:
        entry = status.stocks.get(stock)
        if entry is None:
            continue
        rows.append(
            {
                "label": stock.label,
                "days": entry.get("days"),
                "hours": round(entry["days"] * 24, 1) if entry.get("days") is not None else None,
                "in_hours": stock == Stock.FUEL,
                "on_hand": entry.get("on_hand"),
                "daily_use": entry.get("daily_use"),
                "threshold": services.threshold_of(status, stock),
                "is_low": stock in status.low_stocks,
            }
        )
    return rows


@roles(*READERS)
@local_time
def detail(request: HttpRequest, facility_id: int) -> HttpResponse:
    facility = _facility(request, facility_id)
    services.ensure_status(facility)
    facility = _facility(request, facility_id)
    history = selectors.history(facility)
    status = facility.status
    labels = {
        "title": _("History of the last 30 days"),
        "func": _("Functionality (full, partial, not functioning)"),
        "beds": _("Beds occupied"),
        "days": _("Shortest days of stock (dashed: the lowest threshold)"),
    }
    lowest = min((services.threshold_of(status, s) for s in status.stocks), default=None)
    svg = chart.history_svg(history, labels, lowest)
    level_labels = dict(services.Availability.choices)
    service_rows = [
        (label, level_labels.get(status.services.get(code, {}).get("level", ""), "—"),
         [Cause(c).label if c in Cause.values else c
          for c in status.services.get(code, {}).get("causes", [])])
        for code, label in Service.choices
    ]  # fmt: skip
    context = {
        "facility": facility,
        "status": status,
        "history": history[::-1],
        "chart": mark_safe(svg),  # noqa: S308 - built from numbers and escaped labels only
        "stocks": _stock_rows(facility),
        "service_rows": service_rows,
        "may_edit_card": _member(request).role in COORDINATING,
    }
    return render(request, "facilities/detail.html", context)


@roles(*READERS)
@local_time
def update(request: HttpRequest, facility_id: int) -> HttpResponse:
    facility = _facility(request, facility_id)
    form = UpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.record_update(
                facility=facility, channel=Channel.PAGE, by=_member(request),
                observed_at=form.cleaned_data.get("observed_at"),
                note=form.cleaned_data.get("note") or "", request=request,
                **form.update_fields(),
            )  # fmt: skip
        except services.FacilityError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if result.is_current:
                messages.success(request, _("The status was updated."))
            else:
                messages.warning(
                    request, _("Kept as history: a newer status was already recorded.")
                )
            return redirect("facilities:detail", facility_id=facility.pk)
    return render(request, "facilities/update.html", {"facility": facility, "form": form})


@roles(*COORDINATING)
def card(request: HttpRequest, facility_id: int) -> HttpResponse:
    facility = _facility(request, facility_id)
    status = services.ensure_status(facility)
    initial: dict[str, Any] = {
        "code": status.code, "facility_type": status.facility_type,
        "affiliation": status.affiliation,
    }  # fmt: skip
    initial |= {f"threshold_{s}": services.threshold_of(status, s) for s in Stock}
    form = CardForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_card(
                facility=facility, code=form.cleaned_data["code"],
                facility_type=form.cleaned_data["facility_type"],
                affiliation=form.cleaned_data["affiliation"], thresholds=form.thresholds(),
                by=_member(request), request=request,
            )  # fmt: skip
        except services.FacilityError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The status card was saved."))
            return redirect("facilities:detail", facility_id=facility.pk)
    return render(request, "facilities/card.html", {"facility": facility, "form": form})


@roles(*COORDINATING)
def export_json(request: HttpRequest) -> HttpResponse:
    rows = selectors.board(_org(request))
    body = json.dumps(export.have_json(rows), ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="facilities-have.json"'
    return response


@roles(*COORDINATING)
def export_csv(request: HttpRequest) -> HttpResponse:
    rows = selectors.board(_org(request))
    response = HttpResponse(export.hxl_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="facilities-hxl.csv"'
    return response


@roles(*COORDINATING)
def words(request: HttpRequest) -> HttpResponse:
    """The organisation's words for the facility text command."""
    org = _org(request)
    stored = keywords.changes_of(org)
    initial = {
        "add": "\n".join(f"{w} = {m}" for w, m in stored["add"].items()),
        "rename": "\n".join(f"{o} = {n}" for o, n in stored["rename"].items()),
        "remove": "\n".join(stored["remove"]),
    }
    form = KeywordsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            keywords.save_keywords(
                org=org, add=keywords.parse_pairs(form.cleaned_data["add"]),
                rename=keywords.parse_pairs(form.cleaned_data["rename"]),
                remove=form.cleaned_data["remove"].splitlines(), request=request,
            )  # fmt: skip
        except services.FacilityError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The words were saved."))
            return redirect("facilities:words")
    return render(
        request, "facilities/words.html", {"form": form, "defaults": DEFAULT_WORDS.items()}
    )
