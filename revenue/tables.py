"""A desk table: its columns, raw rows, the HTML display and the CSV export.

Rows hold raw values (ints, floats, dates, text); the page formats them for
the reader's language, the CSV writes them unformatted (``1234567``, not
``1.234.567``; ISO dates; ``.`` as the decimal point; empty for none).
"""

import csv
from dataclasses import dataclass, field
from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format, number_format

# Column kinds: how a value is shown on the page.
TEXT, INT, IDR, PERCENT, DAY, MOMENT = "text", "int", "idr", "percent", "day", "moment"
NUMBERS = (INT, IDR, PERCENT)


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header (stable, English, snake_case)
    label: str  # the page's header (translated)
    kind: str = TEXT


@dataclass
class Table:
    name: str  # the ``?table=`` and file name
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    help: str = ""

    def header_cells(self) -> list[tuple[str, bool]]:
        """(label, is a number) per column: numbers are right-aligned."""
        return [(column.label, column.kind in NUMBERS) for column in self.columns]

    def display_rows(self) -> list[list[tuple[str, bool]]]:
        """Each row's cells as (text for the page, is a number)."""
        return [
            [
                (display(value, column.kind), column.kind in NUMBERS)
                for value, column in zip(row, self.columns, strict=True)
            ]
            for row in self.rows
        ]


def display(value, kind: str) -> str:
    if value is None or value == "":
        return "–"
    if kind in (INT, IDR):
        text = number_format(value, force_grouping=True)
        return f"Rp {text}" if kind == IDR else text
    if kind == PERCENT:
        return f"{number_format(value, 1)} %"
    if kind == DAY:
        return date_format(value, "DATE_FORMAT")
    if kind == MOMENT:
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return str(value)


def raw(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        # A title like "=HYPERLINK(...)" must stay text in a spreadsheet.
        return "'" + value
    return str(value)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_response(table: Table, *, stem: str) -> HttpResponse:
    """The table as a UTF-8 CSV download named ``<stem>.csv``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    writer = csv.writer(response)
    writer.writerow([column.key for column in table.columns])
    for row in table.rows:
        writer.writerow([raw(value) for value in row])
    return response
