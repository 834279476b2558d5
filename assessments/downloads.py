"""What every download shares: formula-safe CSV and XLSX writers, and file names.

Used by the reports' exports, the portfolio and the audit log. Pure: no Django.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

# A spreadsheet runs a cell that starts with one of these as a formula ("CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMN_WIDTH = 60
HEADER_FILL = PatternFill("solid", fgColor="E8EEFB")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""

    def cell(value):
        if isinstance(value, str) and value.startswith(FORMULA_START):
            return "'" + value
        return value

    text = [name for name in frame.columns if not pd.api.types.is_numeric_dtype(frame[name])]
    return frame.assign(**{name: frame[name].map(cell) for name in text})


def to_csv(frame: pd.DataFrame) -> str:
    return neutralise_formulas(frame).to_csv(index=False)


def to_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One sheet per table, keyed by the sheet's title: bold frozen header, filters, widths."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for title, frame in sheets.items():
            neutralise_formulas(frame).to_excel(writer, sheet_name=title, index=False)
            sheet = writer.sheets[title]
            sheet.freeze_panes = "A2"
            for cell in sheet[1]:
                cell.font = Font(bold=True)
                cell.fill = HEADER_FILL
                cell.alignment = Alignment(vertical="top", wrap_text=True)
            for index, column in enumerate(frame.columns, start=1):
                longest = max(
                    [len(str(column))] + [len(str(v)) for v in frame[column].tolist()[:500]]
                )
                width = min(MAX_COLUMN_WIDTH, longest + 2)
                sheet.column_dimensions[get_column_letter(index)].width = width
            if len(frame.columns):
                sheet.auto_filter.ref = sheet.dimensions
    return buffer.getvalue()


def download_name(system_name: str, on: date, extension: str, suffix: str = "") -> str:
    """``checkout-api-2026-11-25.pdf``: only ASCII letters, digits and dashes before the dot."""
    slug = slug_of(system_name)[:60].strip("-") or "system"
    return f"{slug}{'-' + suffix if suffix else ''}-{on.isoformat()}.{extension}"


def slug_of(text: str) -> str:
    """Lowercase ASCII letters, digits and single dashes, as Django's ``slugify`` makes them."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^\w\s-]", "", ascii_text.lower())
    return re.sub(r"[-\s]+", "-", words).strip("-_")
