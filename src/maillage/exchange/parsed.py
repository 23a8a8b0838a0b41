"""The parsed form of an import's file, kept on the job between the steps (mapping, check, run).

The file is read once, at upload or when the person changes its encoding or separator; the other steps read
this: zlib-compressed JSON of the headers, the rows, their line numbers, the rows that could not be read and
why the encoding and separator were chosen. A new kind of import reads its rows with :func:`load` too.
"""

from __future__ import annotations

import json
import zlib

from maillage.exchange.readers import Table, read_table

VERSION = 1


def pack(table: Table) -> bytes:
    document = {
        "v": VERSION,
        "headers": table.headers,
        "rows": table.rows,
        "numbers": table.numbers,
        "row_errors": table.row_errors,
        "file_format": table.file_format,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "why_encoding": table.why_encoding,
        "why_delimiter": table.why_delimiter,
    }
    return zlib.compress(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def unpack(blob: bytes) -> Table:
    document = json.loads(zlib.decompress(bytes(blob)))
    document.pop("v", None)
    return Table(**document)


def parse(job) -> Table:
    """Read the job's file with the person's choices (encoding, separator); raises ``FileRefused``."""
    return read_table(bytes(job.content), encoding=job.encoding, delimiter=job.delimiter)


def load(job) -> Table:
    """The job's table: its parsed form, or the file read again (a job from before the parsed form)."""
    blob = job.parsed
    if blob is None:
        from maillage.exchange.models import ImportJob

        blob = ImportJob.objects.filter(pk=job.pk).values_list("parsed", flat=True).first()
    if blob is not None:
        return unpack(blob)
    return parse(job)
