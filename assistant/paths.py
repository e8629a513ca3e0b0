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


def store_label(store_dir: Path, url: str = "", name: str = "") -> str:
    """The library as a person names it: its folder, or ``NAME on URL`` for a server store."""
    if url:
        return f"{name} on {url}"
    text = str(store_dir)
    return text if store_dir.is_absolute() or text.startswith(("./", "../", "~")) else "./" + text


def store_is_implicit(store_dir: Path, configured: str = "", url: str = "") -> bool:
    """The library was chosen by default in the user data dir: not named (``configured``: the
    path from a flag, the environment or the config; or a server ``url``) and not ./store.
    Commands then say which library they use."""
    if url or configured:
        return False
    return store_dir.resolve() != Path("store").resolve()


def export_folder(configured: str = "") -> Path:
    """Where the chat app's /export writes: ``configured`` (``[ui] export_dir``), else
    paper-assistant/ in the user's documents folder when there is one, else ``exports`` in the
    user data dir."""
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir, user_documents_dir

    documents = Path(user_documents_dir())
    if documents.is_dir() and documents != Path.home():
        return documents / APP_NAME
    return Path(user_data_dir(APP_NAME)) / "exports"
