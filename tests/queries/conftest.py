"""The people and organisations the service tests use serve the reads too."""

from tests.services.conftest import cast

__all__ = ["cast"]
