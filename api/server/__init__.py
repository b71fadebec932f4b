"""The HTTP query service: a FastAPI app over one library (see ``create_app``)."""

from api.server.app import create_app
from api.server.config import ServerConfig

__all__ = ["ServerConfig", "create_app"]
