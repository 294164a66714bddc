"""Rules an uploaded banner image must pass, judged from its bytes and never from what the client claims."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from PIL import Image, UnidentifiedImageError

from banner_api.storage import CONTENT_TYPE_BY_EXTENSION, EXTENSION_BY_FORMAT
from banner_common.settings import Settings

FORMAT_BY_EXTENSION = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "gif": "GIF"}


class ImageRejected(ValueError):
    """An upload breaks an image rule; the message says which."""


@dataclass(frozen=True)
class ImageInfo:
    """What the checks learnt about an accepted image."""

    format: str
    extension: str
    content_type: str
    width: int
    height: int
    byte_size: int


def inspect_image(data: bytes, filename: str, settings: Settings) -> ImageInfo:
    """Check an upload against every image rule and describe it, or raise ImageRejected."""
    if len(data) > settings.image_max_bytes:
        raise ImageRejected(f"the file is larger than the limit of {settings.image_max_bytes} bytes")
    if not data:
        raise ImageRejected("the file is empty")
    allowed = _allowed_extensions(settings)
    claimed_format = _format_from_name(filename, allowed)
    with warnings.catch_warnings():
        # Pillow only warns about a moderately oversized picture; treat that as the bomb it may be.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        width, height, sniffed_format = _sniff(data)
        if sniffed_format not in settings.image_formats:
            raise ImageRejected(
                f"the content is a {sniffed_format} image; accepted: {_formats_text(allowed)}"
            )
        if sniffed_format != claimed_format:
            raise ImageRejected(
                f"the file is named as {claimed_format} but its content is {sniffed_format}; "
                "the extension must match the real format"
            )
        # Dimensions come from the header, so they are checked before any pixel is decoded.
        if width > settings.image_max_width or height > settings.image_max_height:
            raise ImageRejected(
                f"the picture is {width}x{height} pixels; the limit is "
                f"{settings.image_max_width}x{settings.image_max_height}"
            )
        _verify_and_decode(data)
    extension = EXTENSION_BY_FORMAT[sniffed_format]
    return ImageInfo(
        format=sniffed_format,
        extension=extension,
        content_type=CONTENT_TYPE_BY_EXTENSION[extension],
        width=width,
        height=height,
        byte_size=len(data),
    )


def _allowed_extensions(settings: Settings) -> dict[str, str]:
    return {ext: fmt for ext, fmt in FORMAT_BY_EXTENSION.items() if fmt in settings.image_formats}


def _formats_text(allowed: dict[str, str]) -> str:
    return ", ".join(f".{ext}" for ext in allowed)


def _format_from_name(filename: str, allowed: dict[str, str]) -> str:
    suffix = PurePath(filename or "").suffix.lower().lstrip(".")
    if not suffix:
        raise ImageRejected(f"the file name needs an extension; accepted: {_formats_text(allowed)}")
    if suffix not in allowed:
        raise ImageRejected(f".{suffix} files are not accepted; accepted: {_formats_text(allowed)}")
    return allowed[suffix]


def _sniff(data: bytes) -> tuple[int, int, str]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            return width, height, str(image.format)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("the picture declares far too many pixels") from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected("the content is not an image in a format that can be read") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("the image header is damaged") from exc


def _verify_and_decode(data: bytes) -> None:
    # verify() checks structure (e.g. PNG checksums) without decoding; load() then catches truncation.
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("the picture declares far too many pixels") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("the image data is damaged or incomplete") from exc
