"""The ledger page (key, checkpoints, cosignatures, witnesses), a record's page (entries,
inclusion proofs, latest checkpoint), the witness endpoints; both languages; roles."""

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from salama.evidence import notes, selectors, services, tree
from salama.evidence.checkpoints import log_vkey
from salama.evidence.models import Cosignature, LogKey, Witness
from tests.evidence.helpers import T0, fill


def in_arabic(world: Any, name: str) -> None:
    user = world.users[name]
    user.language = "ar"
    user.save(update_fields=["language"])


def test_ledger_page_shows_key_checkpoints_and_cosignatures(
    world: Any, clients: dict[str, Client]
) -> None:
    org = world.org
    fill(org, records=2, versions=1)
    checkpoint = services.sign_checkpoint(org_id=org.pk, slot_at=T0)
    assert checkpoint is not None
    witness_key = Ed25519PrivateKey.generate()
    vkey = notes.vkey("witness.example/w1", notes.COSIGNATURE, notes.raw_public(witness_key))
    admin = clients["org_admin"]
    admin.post("/evidence/", {"vkey": vkey})
    assert Witness.objects.for_org(org).get().vkey == vkey
    text = checkpoint.note[: checkpoint.note.rfind("\n\n") + 1]
    line = notes.cosign(text, "witness.example/w1", witness_key, 1_800_000_000)
    admin.post("/evidence/", {"checkpoint": checkpoint.pk, "line": line})
    assert Cosignature.objects.get().witness_name == "witness.example/w1"
    bad = notes.cosign(text, "witness.example/w1", Ed25519PrivateKey.generate(), 1)
    response = admin.post("/evidence/", {"checkpoint": checkpoint.pk, "line": bad}, follow=True)
    assert "The cosignature does not verify." in response.content.decode()
    assert Cosignature.objects.count() == 1
    for name in ("coordinator", "observer", "org_admin"):
        page = clients[name].get("/evidence/").content.decode()
        assert "salama.invalid/ledger/" in page and "witness.example/w1" in page
        assert log_vkey(LogKey.objects.get(org_id=org.pk)) in page
    in_arabic(world, "coordinator")
    arabic = clients["coordinator"].get("/evidence/").content.decode()
    assert 'dir="rtl"' in arabic and "سجل الأدلة" in arabic and "نقاط التحقق" in arabic
    assert clients["staff"].get("/evidence/").status_code in (403, 404)
    assert clients["coordinator"].post("/evidence/", {"vkey": vkey}).status_code == 404


def test_record_page_shows_entries_with_verified_inclusion_proofs(
    world: Any, clients: dict[str, Client]
) -> None:
    org = world.org
    fill(org, records=3, versions=2)
    latest = services.sign_checkpoint(org_id=org.pk, slot_at=T0)
    assert latest is not None
    extra = services.append(org=org, kind="incident", record_id=2, version=3, fields={})
    page = clients["coordinator"].get("/evidence/incident/2/").content.decode()
    assert page.count("included, proof verified") == 2 and "not yet" in page
    assert latest.note.splitlines()[2] in page
    entries = selectors.record_entries(org.pk, "incident", 2)
    proof = selectors.inclusion_proof(org.pk, entries[0].index, latest.size)
    assert proof[0].hex() in page
    assert tree.verify_inclusion(
        bytes.fromhex(entries[0].leaf_hash),
        entries[0].index,
        latest.size,
        proof,
        bytes.fromhex(latest.root),
    )
    assert extra.leaf_hash[:10] in page
    assert "Shelling" not in page
    in_arabic(world, "coordinator")
    arabic = clients["coordinator"].get("/evidence/incident/2/").content.decode()
    assert "مشمول، والبرهان سليم" in arabic and "ليس بعد" in arabic
    assert clients["outsider"].get("/evidence/incident/2/").status_code == 404


def test_witness_endpoints_give_the_checkpoint_and_consistency_proofs(
    world: Any, clients: dict[str, Client]
) -> None:
    org = world.org
    fill(org, records=2, versions=1)
    first = services.sign_checkpoint(org_id=org.pk, slot_at=T0)
    fill_more = services.append(org=org, kind="notice", record_id=1, version=2, fields={})
    second = services.sign_checkpoint(org_id=org.pk, slot_at=T0.replace(hour=5))
    assert first and second and fill_more
    client = clients["liaison"]
    assert client.get("/evidence/checkpoint").content.decode() == second.note
    body = client.get(f"/evidence/consistency?old={first.size}&new={second.size}").json()
    proof = [base64.b64decode(p) for p in body["proof"]]
    assert tree.verify_consistency(
        first.size, second.size, bytes.fromhex(first.root), bytes.fromhex(second.root), proof
    )
    refused = client.get("/evidence/consistency?old=2&new=99")
    assert refused.status_code == 400 and refused.json()["detail"]


def test_api_serves_witnesses_and_stores_only_valid_cosignatures(
    world: Any, clients: dict[str, Client]
) -> None:
    org = world.org
    fill(org, records=2, versions=1)
    checkpoint = services.sign_checkpoint(org_id=org.pk, slot_at=T0)
    assert checkpoint is not None
    witness_key = Ed25519PrivateKey.generate()
    services.add_witness(
        org=org,
        vkey=notes.vkey("witness.example/w2", notes.COSIGNATURE, notes.raw_public(witness_key)),
    )
    client = clients["observer"]
    latest = client.get("/api/evidence/checkpoint").json()
    assert latest["note"] == checkpoint.note and latest["size"] == 3
    text = checkpoint.note[: checkpoint.note.rfind("\n\n") + 1]
    forged = notes.cosign(text, "witness.example/w2", Ed25519PrivateKey.generate(), 5)
    refused = client.post(
        "/api/evidence/cosignatures",
        {"checkpoint": checkpoint.pk, "line": forged},
        content_type="application/json",
    )
    assert refused.status_code == 422 and refused.json()["detail"]
    good = notes.cosign(text, "witness.example/w2", witness_key, 5)
    stored = client.post(
        "/api/evidence/cosignatures",
        {"checkpoint": checkpoint.pk, "line": good},
        content_type="application/json",
    )
    assert stored.status_code == 201 and Cosignature.objects.get().witness_name.endswith("w2")
    assert clients["staff"].get("/api/evidence/checkpoint").status_code == 403
    outsider = clients["outsider"].post(
        "/api/evidence/cosignatures",
        {"checkpoint": checkpoint.pk, "line": good},
        content_type="application/json",
    )
    assert outsider.status_code in (403, 404)
