"""Where things live: the store, the config file, the chat history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Settings

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


def store_label(settings: Settings, store_dir: Path) -> str:
    """The library as a person names it: its folder, or ``NAME on URL`` for a server store."""
    if settings.store.url:
        return f"{settings.store.name} on {settings.store.url}"
    text = str(store_dir)
    return text if store_dir.is_absolute() or text.startswith(("./", "../", "~")) else "./" + text


def store_is_implicit(settings: Settings, store_dir: Path) -> bool:
    """The library was chosen by default in the user data dir: not named (flag, environment,
    config) and not ./store. Commands then say which library they use."""
    if settings.store.url or settings.store.path:
        return False
    return store_dir.resolve() != Path("store").resolve()
