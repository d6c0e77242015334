"""Import monitored posts from export files: formats, validation, one transaction per batch, undo, export."""

from planner.ingest.batches import (
    BatchNotFound,
    batch_rejects,
    count_posts,
    export_qut,
    list_batches,
    rejects_csv,
    undo_batch,
    write_rejects,
)
from planner.ingest.formats import EXTRA_FIELDS, FIELDS, Format, guess_mapping
from planner.ingest.importer import (
    FORMAT_CHOICES,
    FORMATS,
    Detection,
    ImportOptions,
    ImportRefused,
    ImportReport,
    detect_format,
    import_posts,
    inspect,
    preview,
)
from planner.ingest.pipeline import Rejected, pseudonym
from planner.ingest.source import FormatError, Source

__all__ = [
    "EXTRA_FIELDS",
    "FIELDS",
    "FORMATS",
    "FORMAT_CHOICES",
    "BatchNotFound",
    "Detection",
    "Format",
    "FormatError",
    "ImportOptions",
    "ImportRefused",
    "ImportReport",
    "Rejected",
    "Source",
    "batch_rejects",
    "count_posts",
    "detect_format",
    "export_qut",
    "guess_mapping",
    "import_posts",
    "inspect",
    "list_batches",
    "preview",
    "pseudonym",
    "rejects_csv",
    "undo_batch",
    "write_rejects",
]
