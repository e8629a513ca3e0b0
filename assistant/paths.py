"""Where things live: the store, the config file, the chat history."""

from __future__ import annotations

from pathlib import Path

APP_NAME = "paper-assistant"


def user_config_file() -> Path:
    """The per-user config file (may not exist)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml"


def default_config_file() -> Path | None:
    """./config.toml if present, else the user config file if present, else None."""
    local = Path("config.toml")
    if local.is_file():
        return local
    user = user_config_file()
    return user if user.is_file() else None


def default_store() -> Path:
    """./store when the working directory has one (the repo's library), else the user data dir."""
    local = Path("store")
    if local.is_dir():
        return local
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME)) / "store"


def history_db(store: Path) -> Path:
    """The SQLite file holding chat history, beside the store."""
    return store / "history.sqlite3"
