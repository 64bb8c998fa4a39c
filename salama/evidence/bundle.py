"""`salama evidence export DIR`: a bundle that anyone can verify offline with the
verify_bundle.py it carries (docs/evidence.md, "How a third party verifies").

    log.json           origin, the log's verifier key, witnesses' keys, entries whose payload
                       was destroyed
    entries.jsonl      {"index", "leaf", "body"} per entry, in order
    checkpoints.jsonl  {"size", "note", "cosignatures": [{"witness", "line"}]} in order
    disclosures.jsonl  {"index", "fields": [disclosure, ...], "attachments": [...]} for the
                       records chosen (none unless asked: a bundle proves integrity without
                       showing content)
    attachments/       working copies (metadata stripped) when asked
    README.md          how to verify, in Arabic and English
    verify_bundle.py   the standalone verifier
"""

import json
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings

from salama.evidence import checkpoints as signing
from salama.evidence.appending import unseal
from salama.evidence.attachments import EXTENSIONS, working_bytes
from salama.evidence.models import (
    Attachment,
    Checkpoint,
    Cosignature,
    Entry,
    LogKey,
    Payload,
    RecordKey,
    Witness,
)
from salama.evidence.verifying import entries_key
from salama.lib.fields import Sealed

VERIFIER = Path(settings.BASE_DIR).parent / "tools" / "verify_bundle.py"
README = Path(__file__).resolve().parent / "bundle_readme.md"


def _write_lines(path: Path, rows: Any) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def export_bundle(
    *,
    org_id: int,
    directory: Path,
    disclose: list[tuple[str, int]] | None = None,
    attachments: bool = False,
) -> dict[str, int]:
    """Write the bundle; `disclose` lists the (kind, record id) whose disclosures go in (None:
    none). Returns counts."""
    directory.mkdir(parents=True, exist_ok=True)
    key = LogKey.objects.for_org(org_id).first()
    entries = Entry.objects.for_org(org_id).order_by("index")
    rows = entries.values_list("index", "leaf_hash", "body").iterator(chunk_size=5000)
    count = _write_lines(
        directory / "entries.jsonl",
        ({"index": i, "leaf": leaf, "body": body} for i, leaf, body in rows),
    )
    cosigs: dict[int, list[dict[str, str]]] = {}
    for cosig in Cosignature.objects.for_org(org_id).order_by("witness_name"):
        cosigs.setdefault(cosig.checkpoint_id, []).append(
            {"witness": cosig.witness_name, "line": cosig.line}
        )
    checkpoints = Checkpoint.objects.for_org(org_id).order_by("slot_at", "pk")
    signed = _write_lines(
        directory / "checkpoints.jsonl",
        (
            {"size": c.size, "note": c.note, "cosignatures": cosigs.get(c.pk, [])}
            for c in checkpoints
        ),
    )
    witnesses = {c.witness_name: c.vkey for c in Cosignature.objects.for_org(org_id)}
    witnesses |= dict(Witness.objects.for_org(org_id).values_list("name", "vkey"))
    opened, destroyed = _disclosures(org_id, directory, disclose or [], attachments)
    meta = {
        "origin": signing.origin(org_id),
        "vkey": signing.log_vkey(key) if key else "",
        "witnesses": sorted(witnesses.values()),
        "payload_destroyed": destroyed,
    }
    (directory / "log.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False))
    shutil.copyfile(README, directory / "README.md")
    shutil.copyfile(VERIFIER, directory / "verify_bundle.py")
    return {"entries": count, "checkpoints": signed, "disclosed": opened}


def _disclosures(
    org_id: int, directory: Path, chosen: list[tuple[str, int]], with_files: bool
) -> tuple[int, list[int]]:
    keys = {
        (k.kind, k.record_id): entries_key(str(k.key))
        for k in RecordKey.objects.for_org(org_id)
        if k.key and not isinstance(k.key, Sealed)
    }
    boxes = dict(Payload.objects.for_org(org_id).values_list("entry_id", "box"))
    destroyed: list[int] = []
    rows = []
    wanted = set(chosen)
    entries = (
        Entry.objects.for_org(org_id).order_by("index").only("pk", "index", "kind", "record_id")
    )
    for entry in entries.iterator(chunk_size=5000):
        record = (entry.kind, entry.record_id)
        if record not in keys or entry.pk not in boxes:
            destroyed.append(entry.index)
            continue
        if record not in wanted:
            continue
        try:
            payload = unseal(keys[record], org_id, entry.index, boxes[entry.pk])
        except Exception:  # a payload that does not open (verify names it) is not exported
            payload = {"fields": [], "attachments": []}
        files = []
        for attachment_id, text in payload["attachments"]:
            item = {"disclosure": text, "file": ""}
            found = Attachment.objects.for_org(org_id).filter(pk=attachment_id).first()
            if with_files and found is not None:
                content = working_bytes(found)
                facts = json.loads(text)[2]
                name = f"attachments/{facts['working_sha256']}.{EXTENSIONS[found.content_type]}"
                (directory / "attachments").mkdir(exist_ok=True)
                (directory / name).write_bytes(content)
                item["file"] = name
            files.append(item)
        rows.append({"index": entry.index, "fields": payload["fields"], "attachments": files})
    _write_lines(directory / "disclosures.jsonl", rows)
    return len(rows), destroyed
