"""The published figures (suppressed, then rounded to the profile's 5) and the monthly bulletin:
every figure with its definition, source, knowledge date and revision note, in Swedish or English."""

from __future__ import annotations

import re
from html import escape

import pytest

from pestrack.indicators.compute import Result
from pestrack.indicators.engines import DuckDBEngine
from pestrack.lmi import synth
from pestrack.reports import lmi, lmi_bulletin


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    data = tmp_path_factory.mktemp("bulletin") / "data"
    synth.write(data, "stockholm", [2022, 2023], scale=0.01, seed=11)
    return data


def test_public_figures_are_suppressed_then_rounded_to_the_nearest_five():
    rows = [
        Result("lmi_hires", "2023-01", "total", None, 1237.0, 1237.0, None),
        Result("lmi_hires", "2023-01", "sex", "woman", 3.0, 3.0, None),
        Result("lmi_hires", "2023-01", "sex", "man", 1234.0, 1234.0, None),
        Result("lmi_net_balance", "2023-01", "total", None, -12.0, -12.0, None),
    ]
    shown = {(r.indicator_id, r.breakdown_value): r.suppressed or r.value for r in lmi.public(rows, 5, 5)}
    assert shown == {
        ("lmi_hires", None): 1235,
        ("lmi_hires", "woman"): "<5",
        ("lmi_hires", "man"): "..",  # else the women's 3 would be the total minus the men
        ("lmi_net_balance", None): -10,
    }
    assert lmi.rounding("stockholm") == 5
    assert [lmi.rounded(v, 5) for v in (2.5, 7.4, 7.5, -2.5, 0)] == [5, 5, 10, -5, 0]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_bulletin_gives_each_figure_with_definition_source_knowledge_date_and_revisions(market, lang):
    with DuckDBEngine(market) as engine:
        bulletin = lmi_bulletin.build(engine, market, "2023-12")
    page = lmi_bulletin.render_html(bulletin, lang)
    t = lmi_bulletin.LABELS[lang]
    assert "2023-12-31" in page and t["known_on"] in page
    assert escape(t["source_text"]) in page and t["revision"] in page
    for ind in lmi_bulletin.SHOWN:
        assert bulletin.indicators[ind].name[lang] in page
    definition = (
        bulletin.indicators["lmi_stock"].definition_sv if lang == "sv" else bulletin.indicators["lmi_stock"].definition
    )
    assert escape(" ".join(definition.split())[:60]) in " ".join(page.split())
    numbers = re.findall(r'<td class="n">([^<]*)</td>', page)
    counts = [n.replace("\xa0", "").replace(" ", "").replace(",", "") for n in numbers if re.fullmatch(r"-?[\d ,]+", n)]
    assert counts and all(int(n) % 5 == 0 for n in counts)  # every published count rounded to 5
    other = "en" if lang == "sv" else "sv"
    assert lmi_bulletin.LABELS[other]["title"] not in page
    assert "<svg" in page and "http" not in page.replace("http://www.w3", "")  # no network


def test_the_pdf_bulletin_is_written(market, tmp_path):
    with DuckDBEngine(market) as engine:
        bulletin = lmi_bulletin.build(engine, market, "2023-06")
    lmi_bulletin.write_pdf(bulletin, tmp_path / "b.pdf", "en")
    assert (tmp_path / "b.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_month_outside_the_data_has_no_bulletin(market):
    with DuckDBEngine(market) as engine, pytest.raises(lmi.OutsideData, match="2024-01"):
        lmi_bulletin.build(engine, market, "2024-01")


def test_the_bulletin_says_how_long_work_lasts_and_whether_a_measures_exits_last_longer(market, tmp_path):
    with DuckDBEngine(market) as engine:
        bulletin = lmi_bulletin.build(engine, market, "2023-12")
    bulletin.durability = [(3, 41, 33), (12, 3, 2)]  # (months, exits to work, of them in work)
    bulletin.comparisons = [
        {
            "measure": "ips",
            "horizon": 12,
            "treated": 75.0,
            "matched": 50.0,
            "difference": 25.0,
            "low": 10.0,
            "high": 40.0,
            "n_treated": 40,
            "n_control": 80,
        }
    ]
    page = lmi_bulletin.render_html(bulletin, "en")
    assert "Durability: in work after an exit to work" in page
    assert '<td class="n">40</td><td class="n">80.5 %</td>' in page  # 41 exits rounded to 40; 33/41
    assert '<td class="n">&lt;5</td><td class="n">..</td>' in page  # too few exits: withheld
    assert "Does work last longer after the measure?" in page and '<td class="n">10 – 40</td>' in page
    sv = lmi_bulletin.render_html(bulletin, "sv")
    assert "80,5 %" in sv and "Varar arbetet längre efter insatsen?" in sv
    lmi_bulletin.write_pdf(bulletin, tmp_path / "b.pdf", "sv")
    assert (tmp_path / "b.pdf").read_bytes()[:5] == b"%PDF-"
