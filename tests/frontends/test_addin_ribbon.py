"""The ribbon: every button maps to a registered action, the XML is valid Office customUI, the
checked-in copy is current, and the MS-OVBA container writer round-trips through oletools."""
from __future__ import annotations

import os

import pytest

from kamplan.xl import actions
from kamplan.xl.build import ovba_compress, pad_module_source, sources_dir
from kamplan.xl.ribbon import button_ids, render_ribbon

etree = pytest.importorskip("lxml.etree", reason="pip install '.[test]' (lxml validates the ribbon XML)")


def _schema():
    return etree.XMLSchema(etree.parse(str(sources_dir() / "schema" / "customui14-subset.xsd")))


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_ribbon_validates_against_the_customui_schema_and_every_button_is_an_action(language):
    xml = render_ribbon(language)
    schema = _schema()
    assert schema.validate(etree.fromstring(xml.encode())), schema.error_log
    ids = button_ids(xml)
    assert sorted(ids) == sorted(a.id for a in actions.ACTIONS)
    for i in ids:
        assert callable(actions.get(i).resolve())


def test_the_schema_rejects_what_excel_would_reject():
    schema = _schema()
    good = render_ribbon("en")
    for bad in (good.replace('size="large"', 'size="huge"', 1),  # not a size
                good.replace('id="kam_submit"', 'id="kam_check"'),  # duplicate id
                good.replace('id="kam_check"', 'id="1check"'),  # not an XML name
                good.replace("<button ", "<buton ", 1).replace("/>", "></buton>", 1)):
        assert not schema.validate(etree.fromstring(bad.encode()))


def test_checked_in_ribbon_source_is_current():
    assert (sources_dir() / "customUI14.xml").read_text(encoding="utf-8") == render_ribbon("en"), \
        "addin/kamplan/xl/excel/customUI14.xml is stale: run `kamplan addin build`"


@pytest.mark.parametrize("n", [0, 1, 8, 9, 3640, 3641, 4095, 4096, 4097, 8192, 20000])
def test_ovba_container_round_trips_through_oletools(n):
    from oletools.olevba import decompress_stream
    data = pad_module_source(os.urandom(n))
    assert len(data) % 4096 == 0 or len(data) % 4096 <= 3640
    assert bytes(decompress_stream(bytearray(ovba_compress(data)))) == data
