"""Export a trainee's competency record as CSV and PDF.

PDF: fpdf2 (LGPL-3.0, pure Python; depends only on Pillow, fontTools and defusedxml, all wheels) — it installs
from PyPI with no system libraries, unlike WeasyPrint (Pango/Cairo) or wkhtmltopdf, and is far smaller than
ReportLab for a tabular report. The built-in PDF core fonts are Latin-1, so text is folded to Latin-1
(typographic dashes and arrows become ASCII) rather than shipping a TTF font.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import UTC, datetime

from scanroom import EDUCATION_NOTICE
from scanroom.competency.records import CompetencyRecord, summary

CSV_COLUMNS = ("framework", "section", "requirement_id", "requirement", "category", "status", "date", "level",
               "evidence", "best_score", "signed_off_by", "revoked", "source")
_FOLD = {"—": "-", "–": "-", "≤": "<=", "≥": ">=", "×": "x", "→": "->", "’": "'", "‘": "'", "“": '"', "”": '"',
         "…": "...", "µ": "u", "²": "2", "·": "."}


def _date(value: datetime | None) -> str:
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d")


def rows(record: CompetencyRecord) -> list[dict[str, str]]:
    out = []
    for item in record.items:
        r = item.requirement
        evidence = "; ".join(f"{e.kind} {e.ref}" + (f" {e.score:.0f}%" if e.score is not None else "")
                             + (" pass" if e.passed else " fail") for e in item.evidence)
        out.append({
            "framework": record.framework.id, "section": record.framework.section_title(r.section),
            "requirement_id": r.id, "requirement": r.title, "category": r.category, "status": item.status,
            "date": _date(item.date), "level": str(item.level or ""), "evidence": evidence,
            "best_score": f"{item.best_score:.0f}" if item.best_score is not None else "",
            "signed_off_by": "; ".join(f"{s.signed_by_name} {_date(s.signed_at)}" for s in item.signoffs),
            "revoked": str(len(item.revoked)), "source": r.source})
    return out


def to_csv(record: CompetencyRecord) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in rows(record):
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    return buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formula injection (a cell starting with = + - @)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def latin1(text: str) -> str:
    for char, plain in _FOLD.items():
        text = text.replace(char, plain)
    text = unicodedata.normalize("NFKD", text)
    return text.encode("latin-1", "ignore").decode("latin-1")


def to_pdf(record: CompetencyRecord, *, generated_at: datetime | None = None) -> bytes:
    """A printable record: header, rule summary, then every requirement with status, date and evidence."""
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(latin1(f"Competency record - {record.trainee.full_name or record.trainee.username}"))
    pdf.set_author("Scanroom")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    name = record.trainee.full_name or record.trainee.username
    when = generated_at or datetime.now(UTC)
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, latin1(f"Competency record: {name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    counts = summary(record)
    progress = "complete" if counts["complete"] else f"at least {counts['shortfall']} more needed"
    lines = [f"Trainee: {name} ({record.trainee.username})",
             f"Programme: {record.programme.name if record.programme else 'not enrolled'}",
             f"Framework: {record.framework.title} ({record.framework.id})",
             f"Met {counts['met']} of {counts['total']}; in progress {counts['in-progress']}; {progress}",
             f"Generated {when.strftime('%Y-%m-%d %H:%M')} UTC. {EDUCATION_NOTICE}"]
    for line in lines:
        pdf.multi_cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, "Rules", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for result in record.rule_results:
        mark = "met" if result.satisfied else f"{result.achieved}/{result.required}"
        pdf.multi_cell(0, 5, latin1(f"[{mark}] {result.rule.description}"), new_x="LMARGIN", new_y="NEXT")
    widths = (70, 22, 22, 66)
    for section, items in record.by_section():
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, latin1(section), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 8)
        for width, head in zip(widths, ("Requirement", "Status", "Date", "Evidence / sign-off"), strict=True):
            pdf.cell(width, 5, head, border=1)
        pdf.ln()
        pdf.set_font("Helvetica", "", 8)
        for item in items:
            detail = "; ".join([f"signed off by {s.signed_by_name}" + (f" (level {s.level})" if s.level else "")
                                + (" (" + ", ".join(s.attestations) + ")" if s.attestations else "")
                                for s in item.signoffs]
                               + [(f"{e.kind} {e.score:.0f}%" if e.score is not None else e.kind)
                                  + (" pass" if e.passed else " fail") for e in item.evidence[-3:]]
                               + ([f"{len(item.revoked)} revoked"] if item.revoked else []))
            cells = (item.requirement.title, item.status, _date(item.date), detail or "-")
            _row(pdf, widths, cells)
    return bytes(pdf.output())


def _row(pdf: object, widths: tuple[int, ...], cells: tuple[str, ...]) -> None:
    """One table row; long text is cut to fit the column (the CSV carries the full text)."""
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    for width, text in zip(widths, cells, strict=True):
        value = latin1(text)
        while value and pdf.get_string_width(value) > width - 2:
            value = value[:-2]
        if value != latin1(text):
            value = value[:-1] + "~"
        pdf.cell(width, 5, value, border=1)
    pdf.ln()
