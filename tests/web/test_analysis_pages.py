"""The analysis and sources pages as the server renders them, in either language."""

import json
import re

from fastapi.testclient import TestClient
from markupsafe import escape

from civicgrid.i18n import translate
from tests.factories import People, sign_in


def _config(html: str, name: str) -> dict[str, object]:
    found = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html, re.S)
    assert found is not None
    loaded: dict[str, object] = json.loads(found[1])
    return loaded


def test_before_any_report_the_analysis_page_says_when_one_comes_in_english_too(
    client: TestClient, people: People
):
    sign_in(client, people.leader.username, people.leader.password)

    chinese = client.get("/analysis")
    english = client.get("/analysis?lang=en")

    assert chinese.status_code == english.status_code == 200
    assert translate("page.analysis.none", "zh-CN") in chinese.text
    assert escape(translate("page.analysis.none", "en")) in english.text
    assert '<a href="/analysis" aria-current="page">Analysis</a>' in english.text
    config = _config(english.text, "analysis-config")
    assert (config["months"], config["month"], config["region"]) == (
        [],
        None,
        people.leader.scope_code,
    )


def test_the_sources_page_names_the_risk_classes_in_the_readers_language(
    client: TestClient, people: People
):
    sign_in(client, people.admin.username, people.admin.password)

    english = client.get("/sources?lang=en")

    assert english.status_code == 200
    classes = _config(english.text, "sources-config")["riskClasses"]
    assert isinstance(classes, dict)
    assert len(classes) == 29
    assert classes["city_appearance"] == "City appearance and urban order"
    assert '<a href="/sources" aria-current="page">Data sources</a>' in english.text
