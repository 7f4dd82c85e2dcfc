"""One self-contained HTML page of results: tables, plots and pictures embedded as data, no
script and nothing fetched from a network, so that it opens anywhere and can be mailed or
attached to a paper's supplement as one file."""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
tr.input td { background: #fff8d6; font-style: italic; }
td.best { font-weight: bold; } td.below { color: #a00; }
img { max-width: 100%; border: 1px solid #eee; } .wide { overflow-x: auto; }
pre { background: #f7f7f7; padding: 0.8em; font-size: 0.8em; overflow-x: auto; }
details { margin: 0.4em 0; } .note { color: #555; font-size: 0.9em; }
"""


@dataclass
class ReportSection:
    """A titled part of the page: an explanation, then a table, an image or text blocks."""

    title: str
    note: str = ""
    table: pd.DataFrame | None = None
    image: Path | None = None
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (summary, preformatted text)


def _image_tag(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table_html(table: pd.DataFrame) -> str:
    """The table with the rainy input's rows shaded, each score's best model in bold and rows
    below the input marked (from the view's ``attrs["best"]`` and ``psnr_vs_input``)."""
    best = table.attrs.get("best", {})
    columns = list(table.columns)
    header = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    lines = ['<div class="wide"><table>', f"<tr>{header}</tr>"]
    for position, row in enumerate(table.itertuples(index=False)):
        values = ["" if pd.isna(v) else str(v) for v in row]
        is_input = "recipe" in columns and values[columns.index("recipe")] == "rainy-input"
        cells = []
        for column, value in zip(columns, values, strict=True):
            classes = []
            if best.get(column) == position:
                classes.append("best")
            if column.endswith("_vs_input") and value.startswith("-"):
                classes.append("below")
            attribute = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attribute}>{html.escape(value)}</td>")
        lines.append(f"<tr{' class=input' if is_input else ''}>" + "".join(cells) + "</tr>")
    lines.append("</table></div>")
    return "\n".join(lines)


def write_report(title: str, sections: list[ReportSection], out: Path) -> Path:
    """Write the page to ``out`` (its images embedded); the path."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">made by derain-bench report, {stamp}</p>',
    ]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        if section.note:
            parts.append(f'<p class="note">{html.escape(section.note)}</p>')
        if section.table is not None:
            parts.append(_table_html(section.table))
        if section.image is not None:
            parts.append(_image_tag(section.image, section.title))
        for summary, text in section.blocks:
            parts.append(f"<details><summary>{html.escape(summary)}</summary>"
                         f"<pre>{html.escape(text)}</pre></details>")  # fmt: skip
    parts.append("</body></html>")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return out
