"""What the lower apps' hooks queue here (registered in apps.py). Codenames, numbers of alerts
and roll calls, kinds, states and counts only."""

from __future__ import annotations

from typing import Any

from salama.webhooks.services import enqueue, wanted


def on_alert_changed(*, alert: Any, change: str) -> None:
    if not wanted(alert.org, f"alert.{change}"):
        return
    person = alert.person if alert.person_id else None
    enqueue(
        org_id=alert.org_id,
        event=f"alert.{change}",
        payload={
            "alert": {
                "number": alert.number, "kind": alert.kind, "severity": alert.severity,
                "state": alert.state, "codename": person.codename if person else None,
            }
        },
    )  # fmt: skip


def on_rollcall_closed(*, roll_call: Any) -> None:
    from salama.rollcalls import selectors

    if not wanted(roll_call.org, "rollcall.closed"):
        return
    counts = {str(k): int(v) for k, v in dict(selectors.summary(roll_call)["counts"]).items()}
    enqueue(
        org_id=roll_call.org_id,
        event="rollcall.closed",
        payload={"rollcall": {"number": roll_call.number, "counts": counts}},
    )


def on_checkin(*, checkin: Any, person: Any) -> None:
    # person.org is loaded by the check-in's locking statement: no query when nothing is wanted.
    if not wanted(person.org, "checkin.recorded"):
        return
    enqueue(
        org_id=checkin.org_id,
        event="checkin.recorded",
        payload={"checkin": {"codename": person.codename, "status": checkin.status}},
    )
