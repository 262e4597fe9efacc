"""Where imgcrawl keeps its data: one data directory and one database URL."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "IMGCRAWL_DATA_DIR"
DATABASE_URL_ENV = "IMGCRAWL_DATABASE_URL"


class ConfigError(ValueError):
    """A data directory or database setting that cannot be used."""


def data_dir(override: str | Path | None = None) -> Path:
    """The data directory: --data-dir, $IMGCRAWL_DATA_DIR, else ~/.local/share/imgcrawl."""
    if override:
        path = Path(override)
    elif os.environ.get(DATA_DIR_ENV):
        path = Path(os.environ[DATA_DIR_ENV])
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        path = base / "imgcrawl"
    if "\x00" in str(path):
        raise ConfigError("data directory: the path contains a NUL byte")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"data directory {path} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create data directory {path}: {error.strerror}") from None
    return path


def database_url(override: str | None = None, data: Path | None = None) -> str:
    """--db, $IMGCRAWL_DATABASE_URL, else SQLite file imgcrawl.sqlite3 in the data directory."""
    if override:
        return override
    if os.environ.get(DATABASE_URL_ENV):
        return os.environ[DATABASE_URL_ENV]
    return f"sqlite:///{(data or data_dir()) / 'imgcrawl.sqlite3'}"
