"""Image storage backends: where uploaded banner images live and the public URL they are served at."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Protocol

EXTENSION_BY_FORMAT = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}
CONTENT_TYPE_BY_EXTENSION = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif"}


class ImageStorage(Protocol):
    def save(self, data: bytes, extension: str) -> str:
        """Store the bytes under a new generated key and return the key."""
        ...

    def delete(self, key: str) -> None: ...

    def url_for(self, key: str) -> str: ...

    def open(self, key: str) -> bytes | None: ...


class LocalImageStorage:
    """Files in a local directory, served by the API under a stable public URL."""

    def __init__(self, directory: Path, base_url: str) -> None:
        self.directory = directory
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    def save(self, data: bytes, extension: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        key = f"{secrets.token_hex(16)}.{extension}"
        # Write to a temporary file and rename, so a reader never sees half an image.
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self.directory / key)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def delete(self, key: str) -> None:
        path = self._path(key)
        if path is not None:
            path.unlink(missing_ok=True)

    def url_for(self, key: str) -> str:
        return self.base_url + key

    def open(self, key: str) -> bytes | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        return path.read_bytes()

    def _path(self, key: str) -> Path | None:
        # Keys are generated names; anything else (a path, a dot file) is refused.
        if not key or "/" in key or "\\" in key or key.startswith("."):
            return None
        return self.directory / key
