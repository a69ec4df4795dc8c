"""Where the instance folder and data cache live, resolved the same way by the app and every command."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def instance_path() -> Path:
    """`INSTANCE_PATH` if set, else the repo's `instance/` (an installed package would look elsewhere)."""
    env = os.environ.get("INSTANCE_PATH")
    return Path(env).resolve() if env else REPO_ROOT / "instance"


def data_cache_path() -> Path:
    """Downloads are cached here (git-ignored: MovieLens may not be redistributed)."""
    env = os.environ.get("DATA_CACHE_PATH")
    return Path(env).resolve() if env else REPO_ROOT / "data"


def database_path(instance: Path | None = None) -> Path:
    return (instance or instance_path()) / "movies.db"


def index_root(instance: Path | None = None) -> Path:
    return (instance or instance_path()) / "index"
