"""Everything Stockholm-specific is configuration: no Stockholm code or name in pestrack/ outside the
profile folder (profiles/stockholm/). Comments and docstrings may mention Stockholm as an example;
identifiers, string literals and templates may not. Locale .po files translate the Stockholm
profile's labels and are not checked; migrations are history (a model's help text is checked in
the model)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Codes and names of the Stockholm profile: the programme, its city job, offices and districts
# (jt-, sdf- unit codes), the municipality code, target groups (KAA, UVAS 20-29), street names.
STOCKHOLM = re.compile(
    r"jobbtorg|stockholm|j[äa]rva|s[öo]derort|\bjt-|\bsdf-|\b0180\b|\bkaa\b|uvas|rinkeby|tensta|forsorjningsstod",
    re.IGNORECASE,
)
# What may stay, each narrowly and with its reason: (file, the exact text).
ALLOWED = {
    # the IANA time zone of the deployment, not the profile's (PESTRACK_TIME_ZONE sets another)
    ("pestrack/settings.py", "Europe/Stockholm"),
}
# Files still to move into the profile, each named here so that nothing else can slip in (none now).
PENDING: set[str] = set()


def _docstring_lines(source: str) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def python_findings(path: Path, source: str) -> list[str]:
    """The tokens of ``source`` naming Stockholm, comments and docstrings left out."""
    docs = _docstring_lines(source)
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and tok.start[0] in docs):
            continue
        text = tok.string
        for allowed_path, allowed in ALLOWED:
            if path.as_posix().endswith(allowed_path):
                text = text.replace(allowed, "")
        if STOCKHOLM.search(text):
            found.append(f"{path.relative_to(REPO)}:{tok.start[0]}: {tok.string[:80]}")
    return found


def template_findings(path: Path, source: str) -> list[str]:
    source = re.sub(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", source, flags=re.S)
    return [
        f"{path.relative_to(REPO)}:{n}: {line.strip()[:80]}"
        for n, line in enumerate(source.splitlines(), 1)
        if STOCKHOLM.search(line)
    ]


def findings() -> list[str]:
    out = []
    for path in sorted((REPO / "pestrack").rglob("*")):
        rel = path.relative_to(REPO).as_posix()
        if "/migrations/" in rel or "/locale/" in rel or rel in PENDING:
            continue
        if path.suffix == ".py":
            out += python_findings(path, path.read_text(encoding="utf-8"))
        elif path.suffix in (".html", ".txt", ".js") and "/static/" not in rel:
            out += template_findings(path, path.read_text(encoding="utf-8"))
    return out


def test_no_stockholm_code_or_name_in_the_code():
    assert findings() == []


def test_the_check_finds_a_code_in_logic_and_lets_a_comment_or_docstring_pass():
    source = '"""Stockholm as an example."""\n# Jobbtorg in a comment\nprogramme = "jobbtorg"\nx = f"{a}, Stockholm"\n'
    found = python_findings(REPO / "pestrack" / "x.py", source)
    assert [f.split(":")[1] for f in found] == ["3", "4"]
    assert template_findings(REPO / "pestrack" / "t.html", "{# Järva #}\n<p>Jobbtorg Järva</p>\n") == [
        "pestrack/t.html:2: <p>Jobbtorg Järva</p>"
    ]
