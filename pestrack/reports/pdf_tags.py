"""A tagged PDF on ReportLab: open-source ReportLab writes the document language, title and the
catalogue entries of a structure tree but makes no structure itself, so this module adds it.

Each paragraph (``Tagged``) is drawn inside marked content (``/P <</MCID n>> BDC … EMC``) that
belongs to a structure element: H1 for the title, H2 for a heading, P for text, and inside a table
(``table``) TH and TD cells in TR rows of a Table element. Table backgrounds and grid lines are
artifacts (``/Artifact BMC … EMC``), as is a header row repeated on a later page. ``TaggingCanvas``
writes the structure tree (StructTreeRoot with its ParentTree), ``MarkInfo <</Marked true>>``, each
page's ``StructParents`` and tab order, and asks viewers to show the title rather than the file name.

What is not done (docs/reports.md): the PDF is not checked with a PDF/UA validator (veraPDF is not
part of the project), so it does not declare PDF/UA conformance in XMP metadata; table header cells
carry no ``Scope`` attribute and spanned cells no ``ColSpan``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, TableStyle

_keys = itertools.count()


class Tagged(Paragraph):
    """A paragraph with its structure type (``tag``: P, H1, H2, TH, TD) and, in a table, its cell
    (table key, row, column). The parts a page break splits it into share one structure element."""

    def __init__(self, text, style, tag: str = "P", cell: tuple | None = None, key: int | None = None, **kw):
        super().__init__(text, style, **kw)
        self.tag, self.cell = tag, cell
        self.key = next(_keys) if key is None else key

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        for part in parts:
            part.tag, part.cell, part.key = self.tag, self.cell, self.key
        return parts

    def drawOn(self, canvas, x, y, _sW=0):
        tagger = getattr(canvas, "tagger", None)
        if tagger is None:
            return super().drawOn(canvas, x, y, _sW)
        if getattr(self, "_drawn", False):  # a table's header row again on the next page
            canvas._code.append("/Artifact BMC")
            super().drawOn(canvas, x, y, _sW)
            canvas._code.append("EMC")
            return None
        self._drawn = True
        mcid = tagger.content(self)
        canvas._code.append(f"/{self.tag} <</MCID {mcid}>> BDC")
        super().drawOn(canvas, x, y, _sW)
        canvas._code.append("EMC")
        return None


def _artifacts(table, event, *args):
    """Table backgrounds and grid lines are decoration, not content."""
    code = table.canv._code
    if event in ("startBG", "startLines"):
        code.append("/Artifact BMC")
    elif event in ("endBG", "endLines"):
        code.append("EMC")


def table(rows: list[list], widths: list[float], spans: Sequence[int] = ()) -> LongTable:
    """A table of Tagged cells (header row first, repeated on each page) with its grid."""
    t = LongTable(rows, colWidths=widths, repeatRows=1, renderCB=_artifacts)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    style += [("SPAN", (0, r), (-1, r)) for r in spans]
    t.setStyle(TableStyle(style))
    return t


class Tagger:
    """The structure elements and the marked content of each page, collected while drawing."""

    def __init__(self):
        self.elements: list[dict] = [{"S": "Document", "parent": None, "kids": []}]
        self.by_key: dict[tuple, int] = {}
        self.pages: list[list[int]] = [[]]  # per page, the element of each MCID (index = MCID)

    def _element(self, key: tuple, tag: str, parent: int) -> int:
        if key not in self.by_key:
            self.elements.append({"S": tag, "parent": parent, "kids": []})
            self.by_key[key] = len(self.elements) - 1
            self.elements[parent]["kids"].append(("elem", self.by_key[key]))
        return self.by_key[key]

    def content(self, para: Tagged) -> int:
        """The next MCID of this page, for a paragraph's content, under its structure element."""
        if para.cell is None:
            owner = self._element(("p", para.key), para.tag, 0)
        else:
            table_key, row, col = para.cell
            t = self._element(("table", table_key), "Table", 0)
            tr = self._element(("tr", table_key, row), "TR", t)
            owner = self._element(("cell", table_key, row, col), para.tag, tr)
        mcid = len(self.pages[-1])
        self.pages[-1].append(owner)
        self.elements[owner]["kids"].append(("mcid", len(self.pages) - 1, mcid))
        return mcid


class TaggingCanvas(Canvas):
    """A canvas that collects the structure while drawing (``tagger``) and writes it on save."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.tagger = Tagger()
        self.page_refs: list = []
        self.setViewerPreference("DisplayDocTitle", "true")

    def _setAnnotations(self, page):  # called by showPage for every page: the page's structure keys
        super()._setAnnotations(page)
        page.__NoDefault__ = [*page.__NoDefault__, "StructParents", "Tabs"]
        page.StructParents = len(self.page_refs)
        page.Tabs = PDFName("S")
        self.page_refs.append(self._doc.thisPageRef())

    def showPage(self):
        super().showPage()
        self.tagger.pages.append([])

    def save(self):
        self._structure()
        super().save()

    def _structure(self) -> None:
        doc, tagger = self._doc, self.tagger
        dicts = [PDFDictionary({"Type": PDFName("StructElem"), "S": PDFName(e["S"])}) for e in tagger.elements]
        refs = [doc.Reference(d) for d in dicts]
        root = PDFDictionary({"Type": PDFName("StructTreeRoot")})
        root_ref = doc.Reference(root)
        for e, d in zip(tagger.elements, dicts):
            d["P"] = root_ref if e["parent"] is None else refs[e["parent"]]
            kids = []
            for kid in e["kids"]:
                if kid[0] == "elem":
                    kids.append(refs[kid[1]])
                else:
                    _, page, mcid = kid
                    kids.append(PDFDictionary({"Type": PDFName("MCR"), "Pg": self.page_refs[page], "MCID": mcid}))
            d["K"] = PDFArray(kids)
        parent_tree = []
        for n, owners in enumerate(tagger.pages[: len(self.page_refs)]):
            parent_tree += [n, PDFArray([refs[o] for o in owners])]
        root["K"] = PDFArray([refs[0]])
        root["ParentTree"] = PDFDictionary({"Nums": PDFArray(parent_tree)})
        root["ParentTreeNextKey"] = len(self.page_refs)
        doc.Catalog.StructTreeRoot = root
        doc.Catalog.MarkInfo = PDFDictionary({"Marked": "true"})
