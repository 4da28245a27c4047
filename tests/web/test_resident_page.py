"""The resident portal at /report: public, Chinese first, English by the switch."""

import json
import re

import pytest
from fastapi.testclient import TestClient

from civicgrid.i18n import catalogue

FIELDS = ("description", "category_code", "photo", "reporter_phone", "track-number", "track-phone")


def _embedded(page: str, element_id: str) -> dict[str, object]:
    block = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S
    )
    assert block is not None
    loaded: dict[str, object] = json.loads(block.group(1))
    return loaded


def test_report_page_is_public_and_chinese_with_labelled_fields(client: TestClient):
    response = client.get("/report", follow_redirects=False)

    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text
    assert "群众随手报" in response.text
    for field in FIELDS:
        assert f'<label for="{field}">' in response.text
        assert f'id="{field}"' in response.text
    assert 'aria-label="选择位置的地图"' in response.text
    assert "/static/dist/resident.js" in response.text
    assert "/static/dist/resident.css" in response.text


def test_report_page_hands_strings_and_the_grid_area_to_the_script(client: TestClient):
    page = client.get("/report").text

    strings = _embedded(page, "i18n")
    assert strings["page.resident.location.chosen"] == "已选位置：{lng}, {lat}"
    config = _embedded(page, "resident-config")
    assert config["bbox"] == pytest.approx([99.1, 25.1, 99.28, 25.14])


def test_report_page_in_english(client: TestClient):
    response = client.get("/report?lang=en")

    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "Track my case" in response.text
    assert '<label for="description">What is the problem?' in response.text
    assert "查询进度" not in response.text


def test_resident_strings_exist_in_both_languages():
    chinese = {key for key in catalogue("zh-CN") if key.startswith("page.resident.")}
    english = {key for key in catalogue("en") if key.startswith("page.resident.")}

    assert chinese
    assert chinese == english
