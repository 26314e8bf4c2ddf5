"""Reading uploaded CSV files the way staff make them (Excel, Dutch Excel, LibreOffice).

Decoding is strict UTF-8 (a BOM is fine): a file in another encoding is refused with the line and
position of the first bad byte, because guessing (cp1252?) silently corrupts codes. The separator
is detected: `,` (default), `;` (what Dutch Excel writes) or a tab. Decimal commas are accepted in
number cells ("12,50"). Rows stream: the file is never loaded as one list of dicts.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


class CsvFileError(Exception):
    """The file as a whole cannot be read (encoding, empty, broken header)."""


@dataclass
class CsvFile:
    """A decoded CSV: its header (normalised names) and a row iterator with line numbers."""

    header: list[str]
    raw_header: list[str]
    separator: str
    rows: Iterator[tuple[int, dict[str, str]]]
    notes: list[str] = field(default_factory=list)


def normalise_header(name: str) -> str:
    return name.strip().strip("\ufeff").strip().lower().replace(" ", "_").replace("-", "_")


def check_utf8(stream: IO[bytes]) -> None:
    """Raise CsvFileError naming the line and column of the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, col = 1, 1
    while chunk := stream.read(1 << 20):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            before = chunk[: exc.start]
            newlines = before.count(b"\n")
            bad_line = line + newlines
            bad_col = (exc.start - before.rfind(b"\n")) if newlines else col + exc.start
            raise CsvFileError(
                f"The file is not UTF-8 encoded: byte 0x{chunk[exc.start]:02X} on line {bad_line}, "
                f"position {bad_col}. In Excel use 'Save as' > 'CSV UTF-8 (comma delimited)'."
            ) from exc
        newlines = text.count("\n")
        if newlines:
            line += newlines
            col = len(text) - text.rfind("\n")
        else:
            col += len(text)
    stream.seek(0)


def open_csv(stream: IO[bytes]) -> CsvFile:
    """Decode, detect the separator, read the header; rows are produced lazily."""
    check_utf8(stream)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    first_line = text.readline()
    if not first_line.strip():
        raise CsvFileError("The file is empty: the first line must be the column names.")
    separator = max(SEPARATORS, key=first_line.count)
    if first_line.count(separator) == 0:
        separator = ","
    raw_header = next(csv.reader([first_line], delimiter=separator))
    header = [normalise_header(h) for h in raw_header]
    notes = []
    if separator != ",":
        notes.append(
            f"Columns are separated by a {SEPARATORS[separator]} ('{separator}'); read as such."
        )
    reader = csv.reader(text, delimiter=separator)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        line_number = 1
        for values in reader:
            line_number = reader.line_num + 1  # +1: the header was read separately
            if not any(v.strip() for v in values):
                continue
            row = {
                header[i]: values[i].strip() if i < len(values) else "" for i in range(len(header))
            }
            if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
                row["__extra__"] = str(len(values) - len(header))
            yield line_number, row

    return CsvFile(
        header=header, raw_header=raw_header, separator=separator, rows=rows(), notes=notes
    )


def parse_decimal(value: str) -> Decimal:
    """'12,50', '12.50', '1.234,50', '1,234.50' -> Decimal; raises ValueError in staff words."""
    text = value.strip().replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        # The last of the two is the decimal separator.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f'"{value}" is not a number') from None
    if not number.is_finite():
        raise ValueError(f'"{value}" is not a number')
    return number


def parse_int(value: str) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f'"{value}" is not a whole number')
    return int(number)


TRUE_WORDS = {"1", "yes", "y", "true", "ja", "j", "waar", "x"}
FALSE_WORDS = {"0", "no", "n", "false", "nee", "onwaar", ""}


def parse_bool(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f'"{value}" is not yes or no')


def open_checked(
    stream: IO[bytes],
    report: Any,
    *,
    columns: list[str],
    required: dict[str, str] | None = None,
    one_of: list[tuple[tuple[str, ...], str]] | None = None,
    ignored: frozenset[str] = frozenset(),
) -> CsvFile | None:
    """Open a CSV and check its header, reporting every problem on `report` (an ImportReport).

    Unnamed, unknown and doubled columns are errors; `required` maps a column to the message for
    its absence; `one_of` lists groups of which at least one column must be present. Returns None
    when the file cannot be imported.
    """
    try:
        csv_file = open_csv(stream)
    except CsvFileError as exc:
        report.file_error(str(exc))
        return None
    report.notes.extend(csv_file.notes)
    seen: set[str] = set()
    for position, name in enumerate(csv_file.header, start=1):
        if not name:
            report.add_error(
                1, f"column {position}", "This column has no name. Remove it or name it."
            )
        elif name not in columns and name not in ignored:
            report.add_error(1, name, f"Unknown column '{name}'. Expected: {', '.join(columns)}.")
        elif name in seen:
            report.add_error(1, name, f"Column '{name}' appears twice.")
        seen.add(name)
    for name, message in (required or {}).items():
        if name not in seen:
            report.add_error(1, name, message)
    for group, message in one_of or []:
        if not seen.intersection(group):
            report.add_error(1, group[0], message)
    return None if report.has_errors else csv_file
