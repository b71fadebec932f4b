"""The HTTP query service: a FastAPI app over one library (see ``create_app``)."""

from vidseek.api.app import create_app
from vidseek.api.config import ServerConfig

__all__ = ["ServerConfig", "create_app"]
