"""Tables as text for papers and scripts: Markdown, LaTeX (booktabs), CSV and JSON."""

from __future__ import annotations

import io
import json

import pandas as pd

from derainbench.errors import DerainBenchError

FORMATS = ("md", "latex", "csv", "json")


def _cells(frame: pd.DataFrame, bold: str) -> list[list[str]]:
    """The table's cells as text, the best value of each score (``attrs["best"]``: column →
    row position) wrapped in ``bold`` (a format string)."""
    cells = frame.astype(object).where(frame.notna(), "").astype(str).values.tolist()
    for column, row in frame.attrs.get("best", {}).items():
        if column in frame.columns and 0 <= row < len(cells):
            position = list(frame.columns).index(column)
            cells[row][position] = bold.format(cells[row][position])
    return cells


def to_markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table, the best value per score in bold."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("| " + " | ".join("---" for _ in frame.columns) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in _cells(frame, "**{}**")]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {c: f"\\{c}" for c in "&%$#_{}"} | {"~": r"\textasciitilde{}", "±": r"$\pm$"}


def to_latex(frame: pd.DataFrame) -> str:
    """A booktabs LaTeX tabular (needs \\usepackage{booktabs})."""

    def cell(value: object) -> str:
        text = "" if pd.isna(value) else str(value)
        return "".join(_LATEX_SPECIAL.get(c, c) for c in text)

    marker = "\x00"  # marks a best cell through the escaping
    rows = [[cell(v) for v in row] for row in _cells(frame, marker + "{}")]
    rows = [[r"\textbf{" + v[1:] + "}" if v.startswith(marker) else v for v in row]
            for row in rows]  # fmt: skip
    lines = [r"\begin{tabular}{" + "l" * len(frame.columns) + "}", r"\toprule"]
    lines.append(" & ".join(cell(c) for c in frame.columns) + r" \\")
    lines.append(r"\midrule")
    lines += [" & ".join(row) + r" \\" for row in rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def export(frame: pd.DataFrame, fmt: str) -> str:
    """The table as ``md``, ``latex``, ``csv`` or ``json`` text."""
    if fmt == "md":
        return to_markdown(frame)
    if fmt == "latex":
        return to_latex(frame)
    if fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(json.loads(frame.to_json(orient="records")), indent=2) + "\n"
    raise DerainBenchError(f"unknown format '{fmt}'; choose table, md, latex, csv or json")
