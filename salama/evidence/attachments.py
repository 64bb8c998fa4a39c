"""Attachments: photos and documents that a ledger entry commits to.

Stored encrypted under the organisation's key; the original is kept as the evidentiary copy and
never shown; pages and exports use the working copy, re-encoded from the pixels alone so no EXIF,
GPS or other metadata survives. Addressed by the organisation's keyed hash of the original's
SHA-256 (the same file stored twice is one row), never by the bare hash.
"""

import base64
import hashlib
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from salama.accounts.models import Organisation
from salama.evidence.models import Attachment
from salama.lib import keyring

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
TYPES = {**IMAGE_TYPES, "application/pdf": ""}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def working_copy(data: bytes, content_type: str) -> bytes:
    """The file without metadata: images are decoded and re-encoded from their pixels (EXIF,
    GPS, XMP, comments and thumbnails do not come along); a PDF is checked and kept as it is."""
    if content_type == "application/pdf":
        if not data.startswith(b"%PDF-"):
            raise ValidationError(_("This file is not a PDF."))
        return data
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != IMAGE_TYPES[content_type]:
                raise ValidationError(_("The file's content does not match its type."))
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(_("This image is too large."))
            image.load()
            pixels = Image.frombytes(image.mode, image.size, image.tobytes())
            palette = image.getpalette() if image.mode == "P" else None
            if palette:
                pixels.putpalette(palette)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValidationError(_("This image cannot be read.")) from error
    out = io.BytesIO()
    pixels.save(out, format=IMAGE_TYPES[content_type])
    return out.getvalue()


def store_attachment(
    *, org: Organisation, data: bytes, content_type: str, reporter_codename: str = ""
) -> Attachment:
    if content_type not in TYPES:
        raise ValidationError(_("Only JPEG and PNG photos and PDF documents can be attached."))
    if not data or len(data) > MAX_BYTES:
        raise ValidationError(_("An attachment must be between 1 byte and 10 MB."))
    digest = hashlib.sha256(data).hexdigest()
    address = keyring.lookup_hash(org.pk, "evidence-attachment:" + digest)
    found = Attachment.objects.for_org(org).filter(address=address).first()
    if found is not None:
        return found
    attachment = Attachment(
        org=org,
        address=address,
        content_type=content_type,
        size=len(data),
        original=base64.b64encode(data).decode(),
        working=base64.b64encode(working_copy(data, content_type)).decode(),
        reporter_codename=reporter_codename[:40],
    )
    attachment.save()
    return attachment


def original_bytes(attachment: Attachment) -> bytes:
    return base64.b64decode(str(attachment.original))


def working_bytes(attachment: Attachment) -> bytes:
    return base64.b64decode(str(attachment.working))


def facts(attachment: Attachment) -> dict[str, str]:
    """What an entry commits to about an attachment."""
    return {
        "sha256": hashlib.sha256(original_bytes(attachment)).hexdigest(),
        "working_sha256": hashlib.sha256(working_bytes(attachment)).hexdigest(),
        "type": attachment.content_type,
    }
