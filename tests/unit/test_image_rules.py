"""The image rules of an upload, judged from real files encoded by Pillow."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace

import pytest

from banner_api.banners.imaging import ImageRejected, inspect_image
from banner_common.settings import Settings
from tests.factories import image_bytes

SETTINGS = Settings()


@pytest.mark.parametrize(
    ("fmt", "filename", "extension", "content_type"),
    [
        ("PNG", "banner.png", "png", "image/png"),
        ("PNG", "BANNER.PNG", "png", "image/png"),
        ("JPEG", "banner.jpg", "jpg", "image/jpeg"),
        ("JPEG", "banner.Jpeg", "jpg", "image/jpeg"),
        ("GIF", "banner.gif", "gif", "image/gif"),
    ],
)
def test_good_images_are_described(fmt: str, filename: str, extension: str, content_type: str) -> None:
    data = image_bytes(fmt, 640, 100)
    info = inspect_image(data, filename, SETTINGS)
    assert (info.format, info.extension, info.content_type) == (fmt, extension, content_type)
    assert (info.width, info.height, info.byte_size) == (640, 100, len(data))


def test_a_gif_named_png_is_refused() -> None:
    with pytest.raises(ImageRejected, match="named as PNG but its content is GIF"):
        inspect_image(image_bytes("GIF"), "banner.png", SETTINGS)


def test_a_jpeg_named_gif_is_refused() -> None:
    with pytest.raises(ImageRejected, match="named as GIF but its content is JPEG"):
        inspect_image(image_bytes("JPEG"), "banner.gif", SETTINGS)


def test_a_text_file_named_jpg_is_refused() -> None:
    with pytest.raises(ImageRejected, match="not an image"):
        inspect_image(b"<html>not a picture</html>", "banner.jpg", SETTINGS)


@pytest.mark.parametrize("filename", ["banner.bmp", "banner.webp", "banner.png.exe"])
def test_extensions_outside_the_allowed_formats_are_refused(filename: str) -> None:
    with pytest.raises(ImageRejected, match=r"files are not accepted; accepted: \.png, \.jpg, \.jpeg, \.gif"):
        inspect_image(image_bytes("PNG"), filename, SETTINGS)


def test_a_bmp_renamed_png_is_refused_for_its_real_format() -> None:
    with pytest.raises(ImageRejected, match="content is a BMP image"):
        inspect_image(image_bytes("BMP"), "banner.png", SETTINGS)


def test_a_file_name_without_extension_is_refused() -> None:
    with pytest.raises(ImageRejected, match="needs an extension"):
        inspect_image(image_bytes("PNG"), "banner", SETTINGS)


def test_a_format_switched_off_in_settings_is_refused() -> None:
    settings = replace(SETTINGS, image_formats=("PNG", "JPEG"))
    with pytest.raises(ImageRejected, match=r"\.gif files are not accepted"):
        inspect_image(image_bytes("GIF"), "banner.gif", settings)


def test_the_byte_limit_is_checked_before_anything_else() -> None:
    settings = replace(SETTINGS, image_max_bytes=100)
    with pytest.raises(ImageRejected, match="larger than the limit of 100 bytes"):
        inspect_image(b"x" * 101, "notes.txt", settings)


def test_a_file_of_exactly_the_byte_limit_is_accepted() -> None:
    data = image_bytes("PNG", 10, 10)
    assert inspect_image(data, "a.png", replace(SETTINGS, image_max_bytes=len(data))).byte_size == len(data)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ImageRejected, match="empty"):
        inspect_image(b"", "banner.png", SETTINGS)


@pytest.mark.parametrize(("width", "height"), [(1601, 10), (10, 1601)])
def test_pictures_beyond_the_pixel_limits_are_refused(width: int, height: int) -> None:
    with pytest.raises(ImageRejected, match=f"{width}x{height} pixels; the limit is 1600x1600"):
        inspect_image(image_bytes("PNG", width, height), "banner.png", SETTINGS)


def test_a_picture_at_the_pixel_limits_is_accepted() -> None:
    info = inspect_image(image_bytes("PNG", 1600, 1600), "banner.png", SETTINGS)
    assert (info.width, info.height) == (1600, 1600)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_declaring(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [10_000, 100_000])
def test_a_decompression_bomb_is_refused_from_its_header(side: int) -> None:
    # Pixel limits set out of the way, so only the bomb guard stands between the header and a decoder;
    # 10000x10000 is where Pillow merely warns, 100000x100000 where it refuses by itself.
    settings = replace(SETTINGS, image_max_width=1_000_000, image_max_height=1_000_000)
    with pytest.raises(ImageRejected, match="far too many pixels"):
        inspect_image(_png_declaring(side, side), "bomb.png", settings)


def test_an_oversized_declared_picture_is_refused_before_any_pixel_is_decoded() -> None:
    # The file holds far fewer pixels than its header claims: decoding would fail as "damaged",
    # so the size message proves the limits were applied to the header alone.
    with pytest.raises(ImageRejected, match="5000x5000 pixels"):
        inspect_image(_png_declaring(5000, 5000), "big.png", SETTINGS)


def test_a_truncated_image_is_refused() -> None:
    data = image_bytes("PNG", 300, 300, color="orange")
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        inspect_image(data[: len(data) - 30], "banner.png", SETTINGS)


def test_an_image_with_a_corrupted_checksum_is_refused() -> None:
    data = bytearray(image_bytes("PNG", 50, 50))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF  # flip bits inside the compressed pixels; the chunk's CRC no longer matches
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        inspect_image(bytes(data), "banner.png", SETTINGS)


def test_a_truncated_jpeg_is_refused() -> None:
    data = image_bytes("JPEG", 400, 300)
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        inspect_image(data[: len(data) // 2], "banner.jpg", SETTINGS)
