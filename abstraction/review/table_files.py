"""Writing the analysis tables of `abstraction.review.tables` as files.

- ``csv``: ``<out>/<table>.csv`` per table, UTF-8, a header row, an empty cell for null
  (standard library; no extra needed);
- ``jsonl``: ``<out>/<table>.jsonl`` per table, one JSON object per row, null kept as null;
- ``parquet``: ``<out>/<table>.parquet`` per table (pyarrow, the ``export`` extra);
- ``xlsx``: ``<out>/tables.xlsx``, one sheet per table (openpyxl, the ``export`` extra).  Every
  text cell is stored as text, so a quote starting with ``=`` is never run as a formula; a
  control character a cell cannot hold is U+FFFD, and a value over 32,767 characters is cut
  with a note (`xlsx_text`).

Every file is written whole, then renamed into place, so a failed export leaves no half file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from abstraction.core.errors import UserError
from abstraction.extraction.output import atomic_write_bytes, atomic_write_text
from abstraction.review.tables import Table

Format = Literal["csv", "parquet", "xlsx", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "parquet", "xlsx", "jsonl")
EXTRA_HINT = "pip install 'abstraction[export]'"
WORKBOOK = "tables.xlsx"


def _need(module: str, fmt: str) -> Any:
    """Import an optional library, or say which extra installs it."""
    try:
        return __import__(module)
    except ImportError as exc:
        raise UserError(f"--format {fmt} needs {module}: {EXTRA_HINT}") from exc


def _to_bytes(write: Callable[[io.BytesIO], None]) -> bytes:
    buf = io.BytesIO()
    write(buf)
    return buf.getvalue()


def _csv(table: Table, path: Path) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=table.columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table.rows)
    atomic_write_text(path, buf.getvalue())


def _jsonl(table: Table, path: Path) -> None:
    lines = (
        json.dumps({c: r.get(c) for c in table.columns}, ensure_ascii=False) for r in table.rows
    )
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def _parquet(table: Table, path: Path) -> None:
    _need("pyarrow", "parquet")
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = []
    for column in table.columns:
        array = pa.array([row.get(column) for row in table.rows])
        arrays.append(array.cast(pa.string()) if pa.types.is_null(array.type) else array)
    data = pa.Table.from_arrays(arrays, names=table.columns)
    atomic_write_bytes(path, _to_bytes(lambda buf: pq.write_table(data, buf)))


XLSX_MAX_CHARS = 32_767
"""Excel's limit for one cell (openpyxl cuts a longer string without a word)."""
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters an xlsx cell cannot hold: the control characters openpyxl refuses
(``ILLEGAL_CHARACTERS_RE``: a form feed from a PDF's page break, a NUL), and the ones it
writes into a workbook nothing can read back (U+FFFE, U+FFFF, a lone surrogate)."""


def xlsx_text(value: str) -> str:
    """`value` as an xlsx cell can hold it: each character it cannot hold becomes
    U+FFFD (one character for one, so a quote's offsets still count its characters), and a
    value over Excel's 32,767 characters is cut with a note saying so, never silently.  The
    other formats keep the value as it is."""
    value = _XML_ILLEGAL.sub("\ufffd", value)
    if len(value) <= XLSX_MAX_CHARS:
        return value
    note = f" [cut: {len(value)} characters; the csv, jsonl and parquet tables hold them all]"
    return value[: XLSX_MAX_CHARS - len(note)] + note


def _xlsx(tables: list[Table], path: Path) -> None:
    _need("openpyxl", "xlsx")
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.name)
        sheet.append(table.columns)
        for r, row in enumerate(table.rows, start=2):
            for c, column in enumerate(table.columns, start=1):
                value = row.get(column)
                if isinstance(value, str):
                    value = xlsx_text(value)
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text, never a formula
        sheet.freeze_panes = "B2"
    atomic_write_bytes(path, _to_bytes(book.save))


def check_format(fmt: str) -> None:
    """Refuse an unknown format, or one whose library is not installed (naming the extra), so
    a caller can fail before it reads a whole run."""
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    needs = {"xlsx": "openpyxl", "parquet": "pyarrow"}
    if fmt in needs:
        _need(needs[fmt], fmt)


def write_tables(tables: list[Table], out: Path, *, fmt: str) -> list[Path]:
    """Write `tables` under the folder `out` (created) in `fmt`; returns the files written."""
    check_format(fmt)  # before the folder is made
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        _xlsx(tables, out / WORKBOOK)
        return [out / WORKBOOK]
    writer = {"csv": _csv, "jsonl": _jsonl, "parquet": _parquet}[fmt]
    paths = []
    for table in tables:
        path = out / f"{table.name}.{fmt}"
        writer(table, path)
        paths.append(path)
    return paths
