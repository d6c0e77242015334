"""Settings read from the environment (database URL, data folder, limits)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATABASE_URL_VAR = "PLANNER_DATABASE_URL"
DATA_DIR_VAR = "PLANNER_DATA_DIR"
UPLOAD_LIMIT_VAR = "PLANNER_UPLOAD_LIMIT_MB"
DEFAULT_DB_FILENAME = "counterpoint.db"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    url_from_env: bool
    upload_limit_mb: int


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Return the settings for this process from `environ` (default: os.environ)."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get(DATA_DIR_VAR) or "data").expanduser()
    url = env.get(DATABASE_URL_VAR, "").strip()
    from_env = bool(url)
    if not url:
        url = f"sqlite:///{(data_dir / DEFAULT_DB_FILENAME).resolve()}"
    try:
        limit = int(env.get(UPLOAD_LIMIT_VAR) or 200)
    except ValueError:
        limit = 200
    return Settings(data_dir=data_dir, database_url=url, url_from_env=from_env, upload_limit_mb=max(1, limit))
