"""`salama evidence verify [--org SLUG]` and `salama evidence export DIR --org SLUG`."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salama.accounts.models import Organisation
from salama.evidence.bundle import export_bundle
from salama.evidence.models import Entry
from salama.evidence.verifying import verify_ledger


class Command(BaseCommand):
    help = "Verify the evidence ledger, or export a bundle that verifies offline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "export"])
        parser.add_argument("directory", nargs="?", type=Path)
        parser.add_argument("--org", help="the organisation's short name (default: every one)")
        parser.add_argument(
            "--disclose",
            action="append",
            default=[],
            metavar="KIND:ID",
            help="put this record's disclosures in the bundle (repeat; 'all' for every one)",
        )
        parser.add_argument("--attachments", action="store_true", help="with working copies")

    def _org_ids(self, slug: str | None) -> list[int]:
        if slug is None:
            return sorted(set(Entry.objects.values_list("org_id", flat=True)))
        org = Organisation.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organisation {slug!r}.")
        return [org.pk]

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(self._org_ids(options["org"]))
        else:
            self._export(options)

    def _verify(self, org_ids: list[int]) -> None:
        failed = False
        for org_id in org_ids:
            report = verify_ledger(org_id)
            self.stdout.write(
                f"ledger {org_id}: {report.entries} entries, {report.checkpoints} checkpoints, "
                f"{report.cosignatures} cosignatures"
            )
            if report.destroyed:
                self.stdout.write(
                    f"  payload destroyed: {len(report.destroyed)} entries "
                    f"(first #{report.destroyed[0]}); their commitments verify"
                )
            if report.ok:
                self.stdout.write("  OK")
                continue
            failed = True
            first = report.first_bad
            self.stdout.write(
                f"  FAILED: first bad entry #{first}" if first is not None else "  FAILED"
            )
            for problem in report.problems[:50]:
                self.stdout.write(f"  {problem.what}")
        if failed:
            raise CommandError("The evidence ledger does not verify.", returncode=1)

    def _export(self, options: dict[str, Any]) -> None:
        if options["directory"] is None or options["org"] is None:
            raise CommandError("Give a directory and --org.")
        org_id = self._org_ids(options["org"])[0]
        chosen: list[tuple[str, int]] = []
        for item in options["disclose"]:
            if item == "all":
                chosen += list(
                    Entry.objects.for_org(org_id).values_list("kind", "record_id").distinct()
                )
                continue
            kind, _colon, record = item.partition(":")
            if not record.isdigit():
                raise CommandError(f"--disclose takes KIND:ID, not {item!r}.")
            chosen.append((kind, int(record)))
        counts = export_bundle(
            org_id=org_id,
            directory=options["directory"],
            disclose=chosen,
            attachments=options["attachments"],
        )
        self.stdout.write(
            f"Wrote {counts['entries']} entries, {counts['checkpoints']} checkpoints and "
            f"{counts['disclosed']} disclosed entries to {options['directory']}."
        )
