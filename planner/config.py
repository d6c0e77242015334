"""Settings read from the environment (database URL, data folder, limits)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATABASE_URL_VAR = "PLANNER_DATABASE_URL"
DATA_DIR_VAR = "PLANNER_DATA_DIR"
UPLOAD_LIMIT_VAR = "PLANNER_UPLOAD_LIMIT_MB"
SESSION_IDLE_VAR = "PLANNER_SESSION_IDLE_MINUTES"
COOKIE_SECURE_VAR = "PLANNER_COOKIE_SECURE"
DEFAULT_SESSION_IDLE_MINUTES = 8 * 60
DEFAULT_DB_FILENAME = "counterpoint.db"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    url_from_env: bool
    upload_limit_mb: int
    # A browser session not used for this long must log in again.
    session_idle_minutes: int = DEFAULT_SESSION_IDLE_MINUTES
    # Mark the session cookie Secure (only sent over HTTPS): set it when a TLS proxy serves the app.
    cookie_secure: bool = False


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
    try:
        idle = int(env.get(SESSION_IDLE_VAR) or DEFAULT_SESSION_IDLE_MINUTES)
    except ValueError:
        idle = DEFAULT_SESSION_IDLE_MINUTES
    return Settings(
        data_dir=data_dir,
        database_url=url,
        url_from_env=from_env,
        upload_limit_mb=max(1, limit),
        session_idle_minutes=max(1, idle),
        cookie_secure=(env.get(COOKIE_SECURE_VAR) or "").strip().lower() in {"1", "true", "yes", "on"},
    )
