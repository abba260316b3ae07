"""Outputs of a report, each rendered from its frozen snapshot only: PDF, CSV, XLSX."""

from reports.render.csv import render_csv
from reports.render.pdf import render_pdf
from reports.render.xlsx import render_xlsx

__all__ = ["render_csv", "render_pdf", "render_xlsx"]
