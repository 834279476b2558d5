"""Workspace branding for reports: the logo is checked and re-encoded before it is stored.

Re-encoding with Pillow keeps only pixels: no metadata, no trailing payloads, no polyglot
files, whatever the upload contained. Pure: bytes in, bytes and a file name out.
"""

import io

from PIL import Image, UnidentifiedImageError

MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 4096 * 4096  # refuse decompression bombs before decoding them
LOGO_BOX = (800, 400)  # larger logos are scaled down; the cover shows them at 12 x 5 rem
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg"}


class LogoRejected(ValueError):
    """The upload is not a logo we store; the message says why, for the person uploading."""


def logo_reencode(data: bytes) -> tuple[bytes, str]:
    """The logo's pixels re-encoded, and the file name to store them under."""
    if len(data) > MAX_LOGO_BYTES:
        raise LogoRejected(f"The logo is {len(data) // 1024} KB; the limit is 1 MB.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise LogoRejected("This file is not a readable PNG or JPEG image.") from exc
    if image_format not in LOGO_FORMATS:
        raise LogoRejected(f"Use a PNG or JPEG logo; this file is {image_format or 'unknown'}.")
    if width * height > MAX_LOGO_PIXELS:
        raise LogoRejected("The logo is too large in pixels; use at most 4096 by 4096 pixels.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.thumbnail(LOGO_BOX)
            out = io.BytesIO()
            if image_format == "PNG":
                image.convert("RGBA").save(out, "PNG", optimize=True)
            else:
                image.convert("RGB").save(out, "JPEG", quality=90)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise LogoRejected("This file is not a readable PNG or JPEG image.") from exc
    return out.getvalue(), f"logo.{LOGO_FORMATS[image_format]}"
