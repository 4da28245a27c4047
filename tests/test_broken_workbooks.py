"""A workbook whose zip holds broken XML is refused as unreadable, never a 500.

The residents import answers with its report (refused, one file-level error), as for
any unreadable file; the taxonomy import with its 4xx.

openpyxl hands the XML parser's own error through (lxml's XMLSyntaxError while
opening, ElementTree's ParseError while reading the sheet); both imports that
take workbooks over HTTP used to let it escape.
"""

import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from tests.factories import People, auth, workbook

# The parts openpyxl reads on opening, and the sheet it reads row by row afterwards.
PARTS = ["[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet1.xml"]


def with_broken_part(part: str) -> bytes:
    """A real workbook with one part's XML cut off after its first tag opens."""
    source = zipfile.ZipFile(io.BytesIO(workbook([["a", "b"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = b"<x" if item.filename == part else source.read(item.filename)
            target.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize("part", PARTS)
def test_a_residents_workbook_with_broken_xml_is_refused_as_unreadable(
    client: TestClient, people: People, part: str
):
    response = client.post(
        "/api/v1/registry/imports",
        files={"file": ("residents.xlsx", with_broken_part(part))},
        data={"kind": "residents"},
        headers={**auth(client, people.admin), "Accept-Language": "zh-CN"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["refused"] is True
    assert [error["code"] for error in report["errors"]] == ["registry_import_unreadable"]


@pytest.mark.parametrize("part", PARTS)
def test_a_taxonomy_workbook_with_broken_xml_is_refused_as_unreadable(
    client: TestClient, people: People, part: str
):
    response = client.post(
        "/api/v1/categories/import",
        files={"file": ("taxonomy.xlsx", with_broken_part(part))},
        headers={**auth(client, people.admin), "Accept-Language": "zh-CN"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert "无法读取该文件" in response.text
