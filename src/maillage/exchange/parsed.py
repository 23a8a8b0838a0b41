"""The parsed form of an import's file, kept between the steps (mapping, check, run).

The file is read once, at upload or when the person changes its encoding or separator, as a stream
(``readers.stream_table``): its rows go to ``ParsedChunk`` records of ``CHUNK_ROWS`` rows each (zlib-compressed
JSON) as they are read, and ``ImportJob.parsed`` keeps what is known besides (headers, the line number of each
row as 4-byte integers, the rows that could not be read, why the encoding and separator were chosen). The other
steps read :func:`load`: a :class:`~maillage.exchange.readers.Table` whose ``rows`` are read back from the
database a chunk at a time each time they are iterated, so no step holds the whole file's rows in memory
(decision 0011). A new kind of import reads its rows with :func:`load` too.
"""

from __future__ import annotations

import base64
import itertools
import json
import zlib
from array import array
from collections.abc import Iterator

from maillage.exchange.readers import MAX_ROWS, FileRefused, Sheet, Source, Table, read_table, stream_table

VERSION = 2
CHUNK_ROWS = 2000  # rows per ParsedChunk: a chunk of a 200-column file of long cells stays a few megabytes
SAVE_CHUNKS = 10  # chunks written per INSERT


def _compress(value) -> bytes:
    return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def _decompress(blob) -> object:
    return json.loads(zlib.decompress(bytes(blob)))


class Rows:
    """The rows of a job's parsed file, read back from the database a chunk at a time, in order, each time
    they are iterated; ``len`` and a slice of the first rows without reading the others."""

    def __init__(self, job_id: int, count: int, blobs: list[bytes] | None = None):
        self.job_id, self.count, self.blobs = job_id, count, blobs

    def __iter__(self) -> Iterator[list[str]]:
        from maillage.exchange.models import ParsedChunk

        blobs = self.blobs
        if blobs is None:
            query = ParsedChunk.objects.filter(job_id=self.job_id).order_by("index").values_list("rows", flat=True)
            blobs = query.iterator(chunk_size=1)  # type: ignore[assignment]
        for blob in blobs:  # type: ignore[union-attr]
            yield from _decompress(blob)  # type: ignore[misc]

    def detached(self) -> Rows:
        """The same rows, their compressed chunks fetched now: another thread may iterate them without reading
        the database (the checks of the contributions run in a thread, decision 0006)."""
        from maillage.exchange.models import ParsedChunk

        query = ParsedChunk.objects.filter(job_id=self.job_id).order_by("index").values_list("rows", flat=True)
        return Rows(self.job_id, self.count, [bytes(blob) for blob in query.iterator(chunk_size=1)])

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(itertools.islice(self, index.start, index.stop, index.step))
        if index < 0:
            index += self.count
        found = next(itertools.islice(self, index, None), None)
        if found is None:
            raise IndexError(index)
        return found

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def store(job, sheet: Sheet) -> bytes:
    """Write ``sheet``'s rows as the job's chunks (replacing any) as they are read; return the job's
    ``parsed`` form. ``FileRefused`` from the reading propagates; the chunks written by then are removed."""
    from maillage.exchange.models import ParsedChunk

    ParsedChunk.objects.filter(job_id=job.pk).delete()
    numbers = array("I")
    pending: list[ParsedChunk] = []
    index = 0
    try:
        rows = iter(sheet.rows)
        while True:
            chunk = []
            for number, cells in itertools.islice(rows, CHUNK_ROWS):
                numbers.append(number)
                chunk.append(cells)
            if not chunk:
                break
            pending.append(ParsedChunk(job_id=job.pk, index=index, rows=_compress(chunk)))
            index += 1
            del chunk
            if len(pending) == SAVE_CHUNKS:
                ParsedChunk.objects.bulk_create(pending)
                pending = []
            if len(numbers) + len(sheet.row_errors) > MAX_ROWS:
                raise FileRefused(f"Le fichier compte plus de {MAX_ROWS} lignes : découpez-le.")
        if pending:
            ParsedChunk.objects.bulk_create(pending)
        if len(numbers) + len(sheet.row_errors) > MAX_ROWS:
            raise FileRefused(f"Le fichier compte plus de {MAX_ROWS} lignes : découpez-le.")
    except BaseException:
        ParsedChunk.objects.filter(job_id=job.pk).delete()
        raise
    messages = sorted({message for _, message in sheet.row_errors})
    document = {
        "v": VERSION,
        "headers": sheet.headers,
        "count": len(numbers),
        "numbers": base64.b64encode(numbers.tobytes()).decode(),
        "row_errors": [[number, messages.index(message)] for number, message in sheet.row_errors],
        "messages": messages,
        "file_format": sheet.file_format,
        "encoding": sheet.encoding,
        "delimiter": sheet.delimiter,
        "why_encoding": sheet.why_encoding,
        "why_delimiter": sheet.why_delimiter,
    }
    return _compress(document)


def unpack(blob: bytes, job_id: int | None = None) -> Table:
    document = _decompress(blob)
    assert isinstance(document, dict)
    version = document.pop("v", 1)
    if version == 1:  # a job parsed before the chunks: its rows are in the document
        return Table(**document)
    numbers = array("I")
    numbers.frombytes(base64.b64decode(document["numbers"]))
    messages = document["messages"]
    return Table(
        headers=document["headers"],
        rows=Rows(job_id or 0, document["count"]),  # type: ignore[arg-type]
        numbers=numbers,  # type: ignore[arg-type]
        row_errors=[[number, messages[k]] for number, k in document["row_errors"]],
        file_format=document["file_format"],
        encoding=document["encoding"],
        delimiter=document["delimiter"],
        why_encoding=document["why_encoding"],
        why_delimiter=document["why_delimiter"],
    )


def parse(job, content: Source) -> Sheet:
    """Start reading the job's file (its bytes or its path: ``stored.local_copy``) with the person's choices
    (encoding, separator); raises ``FileRefused``."""
    return stream_table(content, encoding=job.encoding, delimiter=job.delimiter)


def load(job, *, detached: bool = False) -> Table:
    """The job's table: its parsed form (rows read back in chunks), or the file read again (a job from before
    the parsed form). ``detached``: rows another thread may iterate (their compressed chunks in memory)."""
    blob = job.parsed
    if blob is None:
        from maillage.exchange.models import ImportJob

        blob = ImportJob.objects.filter(pk=job.pk).values_list("parsed", flat=True).first()
    if blob is not None:
        table = unpack(blob, job.pk)
        if detached and isinstance(table.rows, Rows):
            table.rows = table.rows.detached()
        return table
    from maillage.exchange import stored

    with stored.local_copy(job) as content:
        return read_table(content, encoding=job.encoding, delimiter=job.delimiter)
