"""The PDF report is tagged (a structure tree of headings, paragraphs and tables with header cells,
every piece of page content in it or an artifact), says its language and shows its title, and its
column headings break between words only ("Måluppfyllelse", never "Måluppfylle|lse").

Read with the standard library: no PDF parser is part of the project."""

from __future__ import annotations

import base64
import re
import zlib

import pytest
from reportlab.pdfbase import pdfmetrics

from pestrack.reports.annual import build
from pestrack.reports.pdf import BOLD, CELL_PADDING, _fonts, head_size, story
from pestrack.reports.pdf_tags import Tagged
from pestrack.reports.writers import WRITERS


def _objects(pdf: bytes) -> dict[int, bytes]:
    return {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\s*(.*?)\s*endobj", pdf, re.S)}


def _stream(body: bytes) -> bytes:
    head, data = re.match(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", body, re.S).groups()
    if b"ASCII85Decode" in head:
        data = base64.a85decode(b"<~" + data.strip(), adobe=True)
    if b"FlateDecode" in head:
        data = zlib.decompress(data)
    return data


@pytest.fixture
def pdf(report_data, tmp_path) -> bytes:
    out = tmp_path / "vb.pdf"
    WRITERS["pdf"](build(2023, "VB", report_data), out, "sv")
    return out.read_bytes()


def test_the_pdf_says_its_language_shows_its_title_and_is_marked_as_tagged(pdf):
    objects = _objects(pdf)
    catalog = next(b for b in objects.values() if b"/Type /Catalog" in b)
    assert b"/Lang (sv)" in catalog and b"/StructTreeRoot" in catalog
    mark_info = objects[int(re.search(rb"/MarkInfo (\d+) 0 R", catalog).group(1))]
    assert b"/Marked true" in mark_info
    preferences = objects[int(re.search(rb"/ViewerPreferences (\d+) 0 R", catalog).group(1))]
    assert b"/DisplayDocTitle true" in preferences  # a viewer shows the title, not the file name
    assert re.search(rb"/Title \(Verksamhetsber\\344ttelse VB 2023\)", pdf)


def test_every_piece_of_page_content_is_tagged_or_an_artifact(pdf):
    objects = _objects(pdf)
    pages = [b for b in objects.values() if re.search(rb"/Type /Page\b", b)]
    assert pages and all(b"/StructParents" in p and b"/Tabs /S" in p for p in pages)
    root = next(b for b in objects.values() if b"/Type /StructTreeRoot" in b)
    nums = re.search(rb"/Nums \[(.*)\]", root, re.S).group(1)
    per_page = [len(re.findall(rb"\d+ 0 R", a)) for a in re.findall(rb"\[(.*?)\]", nums, re.S)]
    for number, page in enumerate(pages):
        content = _stream(objects[int(re.search(rb"/Contents (\d+) 0 R", page).group(1))])
        mcids = [int(m) for m in re.findall(rb"<</MCID (\d+)>> BDC", content)]
        assert mcids == list(range(len(mcids))), number  # each page numbers its content from 0
        assert content.count(b"BDC") + content.count(b"BMC") == content.count(b"EMC")  # balanced
        index = int(re.search(rb"/StructParents (\d+)", page).group(1))
        assert per_page[index] == len(mcids)  # the parent tree knows every marked piece
        # text is drawn only inside marked content (tagged, or an artifact: a repeated header row)
        depth = 0
        for token in re.findall(rb"\bBDC\b|\bBMC\b|\bEMC\b|\bTj\b", content):
            depth += {b"BDC": 1, b"BMC": 1, b"EMC": -1}.get(token, 0)
            assert token != b"Tj" or depth > 0
    kinds = set(re.findall(rb"/S /(\w+)", pdf))
    assert {b"Document", b"H1", b"H2", b"P", b"Table", b"TR", b"TH", b"TD"} <= kinds


def test_column_headings_break_between_words_only(report_data):
    """Every heading word fits its column at the heading's size (the Swedish "Måluppfyllelse" did
    not at 7.5 points and was broken inside the word)."""
    _fonts()
    checked = 0
    for flowable in story(build(2023, "VB", report_data), "sv"):
        if not hasattr(flowable, "_cellvalues"):
            continue
        for cell, width in zip(flowable._cellvalues[0], flowable._colWidths):
            assert isinstance(cell, Tagged) and cell.tag == "TH"
            size = cell.style.fontSize
            for word in cell.text.split():
                assert pdfmetrics.stringWidth(word, BOLD, size) <= width - 2 * CELL_PADDING + 0.01, (word, size)
            checked += 1
    assert checked > 50
    assert head_size("Måluppfyllelse", 62) < 7.5 and head_size("Period", 62) == 7.5


def _texts(report, lang: str) -> list[str]:
    """The text of every paragraph and table cell of the PDF's story, in order."""
    _fonts()
    out = []
    for flowable in story(report, lang):
        if hasattr(flowable, "_cellvalues"):
            out += [c.text for row in flowable._cellvalues for c in row if isinstance(c, Tagged)]
        elif isinstance(flowable, Tagged):
            out.append(flowable.text)
    return out


def test_the_pdf_marks_reported_rows_with_their_source_and_a_units_report_says_its_units(report_data):
    """As the HTML report: the legend of the mark under the title, the mark and the source after a
    reported row's name; a report for some units says which, compares no value with the city's target
    and carries none of the city's analyses."""
    city = _texts(build(2023, "VB", report_data), "sv")
    assert city[1].startswith("† Rapporterad från en annan källa, som anges efter märket.")
    assert any(t.endswith("† SCB, konjunkturstatistik över vakanser") for t in city)
    analysis = next(t for t in city if t.startswith("Analys: "))
    unit = _texts(build(2023, "VB", report_data, units=["/stockholm/amf/jobbtorg/jt-city/"]), "sv")
    assert "Omfattar endast enheterna: jt-city" in unit[:4]
    assert "Jämförs inte: årsmålet gäller hela staden, inte enheten" in unit
    assert analysis not in unit
