"""Shared set-up for the negotiations tests: two parties, a small movement, a package."""

from __future__ import annotations

from typing import Any

from salama.accounts.models import Membership
from salama.negotiations import services
from salama.negotiations.models import PackageVersion, Party
from tests.evacuation.helpers import movement


def member(world: Any, username: str) -> Membership:
    return Membership.objects.get(user=world.users[username])


def party(world: Any, name: str = "Relief agency", screens: bool = False) -> Party:
    return services.save_party(
        org=world.org,
        name=name,
        kind="un_agency",
        contacts="+963 11 000 0000",
        screens_evacuees=screens,
        by=member(world, "coordinator"),
    )


def package(world: Any, recipient: Party | None = None, mov: Any = None) -> PackageVersion:
    by = member(world, "coordinator")
    mov = mov or movement(world.org, by)
    data = services.draft_from(mov)
    return services.create_package(movement=mov, party=recipient or party(world), data=data, by=by)


def approve_twice(world: Any, version: PackageVersion) -> None:
    services.approve(version=version, by=member(world, "coordinator"))
    services.approve(version=version, by=member(world, "coordinator2"))
