"""The catalog: SQLAlchemy schema, numbered migrations and the ``Catalog`` facade."""

from vidseek.core.catalog.catalog import Catalog, SegmentRecord, SegmentTable, from_blob, to_blob
from vidseek.core.catalog.migrations import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Catalog", "SegmentRecord", "SegmentTable", "from_blob", "to_blob"]
