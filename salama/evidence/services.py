"""The evidence ledger's writers, one door for the apps above.

    append(*, org, kind, record_id, version, fields, attachments=(), at=None) -> Entry

appends one version of a record (an incident version, a notification package version) as one
entry; `fields` maps names to plain JSON values (strings, numbers, booleans, null, lists and
objects of them — turn dates into ISO strings first), `attachments` are ids from
`store_attachment`. See docs/evidence.md.
"""

from salama.evidence.appending import append
from salama.evidence.attachments import store_attachment
from salama.evidence.checkpoints import (
    add_cosignature,
    add_witness,
    sign_checkpoint,
    sign_due_checkpoints,
)
from salama.evidence.shredding import mark_org_shredded, shred_older_than, shred_record

__all__ = [
    "add_cosignature",
    "add_witness",
    "append",
    "mark_org_shredded",
    "shred_older_than",
    "shred_record",
    "sign_checkpoint",
    "sign_due_checkpoints",
    "store_attachment",
]
