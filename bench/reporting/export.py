"""Tables as text for papers and scripts: Markdown, LaTeX (booktabs), CSV and JSON."""

from __future__ import annotations

import io
import json

import pandas as pd

from derainbench.errors import DerainBenchError

FORMATS = ("md", "latex", "csv", "json")


def to_markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table."""
    cells = frame.astype(object).where(frame.notna(), "").astype(str)
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("| " + " | ".join("---" for _ in frame.columns) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {c: f"\\{c}" for c in "&%$#_{}"} | {"~": r"\textasciitilde{}", "±": r"$\pm$"}


def to_latex(frame: pd.DataFrame) -> str:
    """A booktabs LaTeX tabular (needs \\usepackage{booktabs})."""

    def cell(value: object) -> str:
        text = "" if pd.isna(value) else str(value)
        return "".join(_LATEX_SPECIAL.get(c, c) for c in text)

    lines = [r"\begin{tabular}{" + "l" * len(frame.columns) + "}", r"\toprule"]
    lines.append(" & ".join(cell(c) for c in frame.columns) + r" \\")
    lines.append(r"\midrule")
    lines += [" & ".join(cell(v) for v in row) + r" \\" for row in frame.itertuples(index=False)]
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
