"""Open311 GeoReport v2, used the way a third-party app uses it: over HTTP, JSON and XML."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.models import Role
from civicgrid.auth.scope import Actor
from civicgrid.auth.service import create_api_key
from civicgrid.cases.models import Case
from civicgrid.cases.reporters import Reporter, reporter_of
from civicgrid.cases.service import Intake, Submission, report_case, report_cases
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.categories.drafts import CategoryDraft
from civicgrid.categories.seeds import seed_builtin
from civicgrid.categories.service import create_category
from civicgrid.cli import main
from civicgrid.divisions import Level
from civicgrid.geo.records import RegionRecord
from civicgrid.geo.service import GridIndex, save_regions
from civicgrid.settings import get_settings
from civicgrid.timeutil import DISPLAY_ZONE, utcnow
from tests.factories import CITY, OWN_STREET, City, auth

BASE = "/open311/v2"
GRID = "530502001001001"
POTHOLE = "UM-03-90"
MANHOLE = "UM-03-01"
LITTER = "UM-01-01"
ADMIN = Actor(kind="user", role=Role.ADMIN, scope_code=CITY, username="admin")
DISPATCHER = Actor(kind="user", role=Role.DISPATCHER, scope_code=OWN_STREET, username="owner")
POTHOLE_ATTRIBUTES = [
    {
        "code": "DEPTH",
        "datatype": "number",
        "required": True,
        "description": "坑深（厘米）",
        "datatype_description": "整数，单位厘米",
        "order": 2,
    },
    {
        "code": "LANE",
        "datatype": "singlevaluelist",
        "description": "所在车道",
        "order": 1,
        "values": [{"key": "left", "name": "左侧车道"}, {"key": "right", "name": "右侧车道"}],
    },
    {
        "code": "NEAR",
        "datatype": "multivaluelist",
        "description": "附近设施",
        "order": 3,
        "values": [{"key": "school", "name": "学校"}, {"key": "bus", "name": "公交站"}],
    },
    {"code": "SAFETY", "variable": False, "description": "请勿在车流中拍照", "order": 4},
]


@pytest.fixture
def api_key(db: Session, city: City, people) -> str:
    """The built-in taxonomy, one category with questions, and a key for a city app."""
    seed_builtin(db)
    create_category(
        db,
        actor=ADMIN,
        draft=CategoryDraft(
            code=POTHOLE,
            name="道路坑槽",
            name_en="Pothole",
            parent_code="UM-03",
            risk_class="municipal_facilities",
            keywords=("坑槽", "坑洼"),
            attributes=POTHOLE_ATTRIBUTES,
        ),
    )
    _, raw = create_api_key(db, name="随手拍 app", scope_code=city.code)
    db.commit()
    return raw


def post(client, key, fmt="json", headers=None, **fields):
    body = {"api_key": key, "service_code": MANHOLE, "description": "井盖缺失", **fields}
    return client.post(f"{BASE}/requests.{fmt}", data=body, headers=headers or {})


def post_at(client, api_key, city: City, grid=GRID, **fields):
    lng, lat = city.point_in(grid)
    return post(client, api_key, lat=str(lat), long=str(lng), **fields)


def xml(response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml")
    return ET.fromstring(response.content)


def error_of(response) -> dict:
    body = response.json()
    assert isinstance(body, list)
    assert len(body) == 1
    assert body[0]["code"] == response.status_code
    return body[0]


def test_services_are_the_active_categories_with_their_groups(client, api_key):
    services = client.get(f"{BASE}/services.json").json()
    by_code = {service["service_code"]: service for service in services}
    assert len(services) == 100
    assert "UM-03" not in by_code  # a group is not a service
    assert by_code[MANHOLE] == {
        "service_code": MANHOLE,
        "service_name": "井盖问题",
        "description": "井盖问题",
        "metadata": False,
        "type": "realtime",
        "keywords": by_code[MANHOLE]["keywords"],
        "group": "设施管理",
    }
    assert "井盖缺失" in by_code[MANHOLE]["keywords"].split(",")
    assert by_code[POTHOLE]["metadata"] is True
    english = client.get(f"{BASE}/services.json", headers={"Accept-Language": "en"}).json()
    pothole = next(service for service in english if service["service_code"] == POTHOLE)
    assert (pothole["service_name"], pothole["group"]) == ("Pothole", "Public facilities")


def test_services_read_as_xml(client, api_key):
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) == 100
    pothole = next(s for s in services if s.findtext("service_code") == POTHOLE)
    assert pothole.findtext("metadata") == "true"
    assert pothole.findtext("group") == "设施管理"


def test_a_service_definition_lists_its_attributes_in_order(client, api_key):
    definition = client.get(f"{BASE}/services/{POTHOLE}.json").json()
    assert definition["service_code"] == POTHOLE
    assert [a["code"] for a in definition["attributes"]] == ["LANE", "DEPTH", "NEAR", "SAFETY"]
    depth = definition["attributes"][1]
    assert depth == {
        "variable": True,
        "code": "DEPTH",
        "datatype": "number",
        "required": True,
        "datatype_description": "整数，单位厘米",
        "order": 2,
        "description": "坑深（厘米）",
        "values": [],
    }
    root = xml(client.get(f"{BASE}/services/{POTHOLE}.xml"))
    assert root.tag == "service_definition"
    lane = root.find("attributes/attribute")
    assert lane is not None
    assert lane.findtext("code") == "LANE"
    assert [v.findtext("key") for v in lane.findall("values/value")] == ["left", "right"]
    assert [v.findtext("name") for v in lane.findall("values/value")] == ["左侧车道", "右侧车道"]


def test_an_unknown_service_is_a_404_in_the_spec_error_shape(client, api_key):
    response = client.get(f"{BASE}/services/NOPE-01.json")
    assert response.status_code == 404
    assert "NOPE-01" in error_of(response)["description"]
    root = xml(client.get(f"{BASE}/services/UM-03.xml"))  # a group is not a service either
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert root.findtext("error/description")


def test_a_request_posted_with_a_point_reads_back_in_json_and_xml(client, api_key, city):
    posted = post_at(
        client,
        api_key,
        city,
        service_code=POTHOLE,
        description="路中间有个大坑",
        **{"attribute[DEPTH]": "12", "attribute[LANE]": "left"},
        **{"attribute[NEAR][]": ["school", "bus"]},
        media_url="https://photos.example.org/p/1.jpg",
        first_name="三",
        last_name="张",
        phone="13812345678",
        email="zhang@example.org",
    )
    assert posted.status_code == 201, posted.text
    [receipt] = posted.json()
    number = receipt["service_request_id"]
    assert receipt["token"]
    assert number in receipt["service_notice"]
    assert receipt["account_id"] is None

    [request] = client.get(f"{BASE}/requests/{number}.json").json()
    lng, lat = city.point_in(GRID)
    assert request["service_request_id"] == number
    assert (request["status"], request["status_notes"]) == ("open", "已上报")
    assert (request["service_code"], request["service_name"]) == (POTHOLE, "道路坑槽")
    assert request["description"].splitlines() == [
        "路中间有个大坑",
        "所在车道: 左侧车道",
        "坑深（厘米）: 12",
        "附近设施: 学校, 公交站",
    ]
    assert request["media_url"] == "https://photos.example.org/p/1.jpg"
    assert (request["long"], request["lat"]) == pytest.approx((lng, lat))
    assert request["requested_datetime"].endswith("+08:00")
    assert "notes" not in request
    everything = client.get(f"{BASE}/requests/{number}.json").text
    for personal in ("13812345678", "张三", "zhang@example.org"):
        assert personal not in everything

    root = xml(client.get(f"{BASE}/requests/{number}.xml"))
    assert root.tag == "service_requests"
    item = root.find("request")
    assert item is not None
    assert item.findtext("service_request_id") == number
    assert item.findtext("status") == "open"
    assert float(item.findtext("long") or 0) == pytest.approx(lng)
    assert item.findtext("address") == ""  # an absent value is an empty element
    assert item.findtext("media_url") == "https://photos.example.org/p/1.jpg"


def test_the_reporters_contact_reaches_the_case_for_staff(client, api_key, city, people, db):
    number = post_at(
        client, api_key, city, first_name="三", last_name="张", phone="13812345678"
    ).json()[0]["service_request_id"]
    case = client.get(f"/api/v1/cases/{number}", headers=auth(client, people.owner)).json()
    assert (case["channel"], case["category_code"]) == ("open311", MANHOLE)
    stored = db.scalar(select(Case).where(Case.number == number))
    assert reporter_of(stored) == Reporter(phone="13812345678", name="张三")
    assert b"13812345678" not in stored.reporter_phone_token
    assert "张三".encode() not in stored.reporter_name_token
    western = post_at(client, api_key, city, first_name="Anna", last_name="Li", description="x")
    stored = db.scalar(select(Case).where(Case.number == western.json()[0]["service_request_id"]))
    assert reporter_of(stored).name == "Anna Li"


def test_a_request_with_an_address_only_is_taken_unlocated(client, api_key):
    posted = post(client, api_key, address_string="保山市隆阳区正阳南路 12 号")
    assert posted.status_code == 201, posted.text
    number = posted.json()[0]["service_request_id"]
    [request] = client.get(f"{BASE}/requests/{number}.json").json()
    assert request["address"] == "保山市隆阳区正阳南路 12 号"
    assert (request["lat"], request["long"]) == (None, None)
    by_id = post(client, api_key, address_id="BS-000123")
    number = by_id.json()[0]["service_request_id"]
    assert client.get(f"{BASE}/requests/{number}.json").json()[0]["address"] == (
        "address_id:BS-000123"
    )


def test_an_empty_description_takes_the_service_name(client, api_key, city):
    number = post_at(client, api_key, city, description="").json()[0]["service_request_id"]
    assert client.get(f"{BASE}/requests/{number}.json").json()[0]["description"] == "井盖问题"


def test_a_token_resolves_to_its_request_id(client, api_key, city):
    [receipt] = post_at(client, api_key, city).json()
    found = client.get(f"{BASE}/tokens/{receipt['token']}.json")
    assert found.json() == [
        {"service_request_id": receipt["service_request_id"], "token": receipt["token"]}
    ]
    root = xml(client.get(f"{BASE}/tokens/{receipt['token']}.xml"))
    assert root.findtext("request/service_request_id") == receipt["service_request_id"]
    assert client.get(f"{BASE}/tokens/no-such-token.json").status_code == 404


def test_a_retry_with_the_same_idempotency_key_returns_the_first_request(client, api_key, city):
    headers = {"Idempotency-Key": "app-42"}
    first = post_at(client, api_key, city, headers=headers)
    again = post_at(client, api_key, city, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    token = first.json()[0]["token"]
    assert token.endswith("-app-42")
    changed = post_at(client, api_key, city, headers=headers, description="另一件事")
    assert changed.status_code == 400


def test_the_api_key_may_also_come_as_a_header(client, api_key, city):
    lng, lat = city.point_in(GRID)
    body = {"service_code": MANHOLE, "description": "井盖缺失", "lat": lat, "long": lng}
    response = client.post(f"{BASE}/requests.json", data=body, headers={"X-API-Key": api_key})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"api_key": ""}, (400, "api_key")),
        ({"api_key": "cgk_wrong"}, (403, "api_key")),
        ({"service_code": "NOPE-01"}, (400, "NOPE-01")),
        ({"service_code": ""}, (400, "service_code")),
        ({"service_code": "UM-03"}, (400, "UM-03")),
        ({"lat": "", "long": ""}, (400, "address_string")),
        ({"lat": "north", "long": "99.1"}, (400, "lat")),
        ({"long": ""}, (400, "")),
        ({"lat": "95", "long": "99.1"}, (400, "lat")),
        ({"jurisdiction_id": "110100"}, (404, "110100")),
        ({"phone": "call me"}, (400, "call me")),
        ({"media_url": "file:///etc/passwd"}, (400, "media_url")),
        ({"description": "x" * 4001}, (400, "4000")),
        ({"service_code": POTHOLE}, (400, "DEPTH")),
        ({"service_code": POTHOLE, "attribute[DEPTH]": "deep"}, (400, "DEPTH")),
        (
            {"service_code": POTHOLE, "attribute[DEPTH]": "3", "attribute[LANE]": "mid"},
            (400, "LANE"),
        ),
        ({"service_code": POTHOLE, "attribute[DEPTH]": "3", "attribute[COLOUR]": "red"}, (400, "")),
    ],
)
def test_bad_posts_are_refused_with_the_spec_error_and_store_nothing(
    client, api_key, city, fields, expected
):
    status, words = expected
    lng, lat = city.point_in(GRID)
    body = {"lat": str(lat), "long": str(lng), **fields}
    response = post(client, api_key, **body)
    assert response.status_code == status, response.text
    assert words in error_of(response)["description"]
    assert client.get(f"{BASE}/requests.json").json() == []


def test_xml_posts_get_xml_errors(client, api_key):
    response = post(client, "cgk_wrong", fmt="xml", address_string="某路")
    assert response.status_code == 403
    root = xml(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "403"


def test_descriptions_are_escaped_in_xml_and_masked_in_public(client, api_key, city):
    text = 'A <b>&"坑"</b>\x07 call 13812345678, ID 53050219900101123X'
    number = post_at(client, api_key, city, description=text).json()[0]["service_request_id"]
    item = xml(client.get(f"{BASE}/requests/{number}.xml")).find("request")
    assert item is not None
    assert item.findtext("description") == (
        'A <b>&"坑"</b> call 138****5678, ID 5305**********123X'
    )


def test_the_public_feed_masks_phones_and_ids_as_people_write_them(client, api_key, city):
    text = "电话 139 1234 5678、139-1234-5678、１３９１２３４５６７８，身份证 530502 19900101 123X"
    number = post_at(client, api_key, city, description=text).json()[0]["service_request_id"]
    shown = client.get(f"{BASE}/requests/{number}.json").json()[0]["description"]
    assert shown == (
        "电话 139 **** 5678、139-****-5678、１３９****５６７８，身份证 5305** ******** 123X"
    )


def reject(db: Session, number: str) -> None:
    case = db.scalar(select(Case).where(Case.number == number))
    assert case is not None
    transition(
        db, case_id=case.id, change=Change(to=Status.REJECTED, note="不属实"), actor=DISPATCHER
    )
    db.commit()


def test_requests_filter_by_id_code_status_and_date(client, api_key, city, db):
    litter = post_at(client, api_key, city, service_code=LITTER).json()[0]["service_request_id"]
    manhole = post_at(client, api_key, city).json()[0]["service_request_id"]
    rejected = post_at(client, api_key, city).json()[0]["service_request_id"]
    reject(db, rejected)

    def numbers(**query) -> list[str]:
        response = client.get(f"{BASE}/requests.json", params=query)
        assert response.status_code == 200, response.text
        return [request["service_request_id"] for request in response.json()]

    assert numbers() == [rejected, manhole, litter]  # newest first
    assert numbers(service_code=LITTER) == [litter]
    assert numbers(service_code=f"{LITTER},{MANHOLE}") == [rejected, manhole, litter]
    assert numbers(status="closed") == [rejected]
    assert numbers(status="open") == [manhole, litter]
    assert numbers(service_request_id=f"{litter},{rejected}") == [rejected, litter]
    # ids override every other filter, as the spec says
    assert numbers(service_request_id=litter, service_code=MANHOLE) == [litter]
    # A date without a zone is local midnight, so "tomorrow" is tomorrow in Shanghai.
    tomorrow = (utcnow().astimezone(DISPLAY_ZONE) + timedelta(days=1)).strftime("%Y-%m-%d")
    assert numbers(start_date=tomorrow) == []
    assert numbers(end_date="2020-01-01T00:00:00Z") == []
    assert len(numbers(start_date="2020-01-01", end_date=tomorrow)) == 3
    [closed] = client.get(f"{BASE}/requests/{rejected}.json").json()
    assert (closed["status"], closed["status_notes"]) == ("closed", "不予受理")
    english = client.get(f"{BASE}/requests/{rejected}.json", headers={"Accept-Language": "en"})
    assert english.json()[0]["status_notes"] == "Not accepted"


def old_case(db: Session, city: City, *, days: int, channel: str = "open311") -> str:
    lng, lat = city.point_in(GRID)
    intake = Intake(description="旧案", channel=channel, lng=lng, lat=lat, category_code=MANHOLE)
    case, _ = report_case(
        db, GridIndex(), intake=intake, actor=ADMIN, now=utcnow() - timedelta(days=days)
    )
    db.commit()
    return case.number


def test_the_default_window_is_the_last_ninety_days(client, api_key, city, db):
    recent = old_case(db, city, days=89)
    old = old_case(db, city, days=91)
    listed = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()]
    assert listed == [recent]
    longer = client.get(f"{BASE}/requests.json", params={"start_date": "2000-01-01"}).json()
    assert [r["service_request_id"] for r in longer] == [recent, old]
    assert client.get(f"{BASE}/requests/{old}.json").status_code == 200


def test_at_most_a_thousand_requests_come_back(client, api_key, city, db):
    lng, lat = city.point_in(GRID)
    intakes = [
        Submission(Intake(description=f"第{i}件", channel="resident", lng=lng, lat=lat))
        for i in range(1001)
    ]
    for start in range(0, 1001, 500):
        report_cases(db, GridIndex(), intakes[start : start + 500], actor=ADMIN)
    assert len(client.get(f"{BASE}/requests.json").json()) == 1000


def test_cases_from_private_channels_are_not_public(client, api_key, city, db):
    hotline = old_case(db, city, days=1, channel="hotline_12345")
    assert client.get(f"{BASE}/requests.json").json() == []
    assert client.get(f"{BASE}/requests/{hotline}.json").status_code == 404


def test_extensions_add_the_public_history_as_notes(client, api_key, city, db):
    number = post_at(client, api_key, city).json()[0]["service_request_id"]
    reject(db, number)
    [request] = client.get(f"{BASE}/requests/{number}.json", params={"extensions": "true"}).json()
    assert [(n["type"], n["summary"]) for n in request["notes"]] == [
        ("opened", "已上报"),
        ("closed", "不予受理"),
    ]
    assert "不属实" not in str(request["notes"])  # staff notes stay internal
    item = xml(client.get(f"{BASE}/requests/{number}.xml?extensions=true")).find("request")
    assert item is not None
    assert [n.findtext("type") for n in item.findall("notes/note")] == ["opened", "closed"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2024-13-01"}, "end_date"),
        ({"start_date": "2024-02-30T10:00:00Z"}, "start_date"),
        ({"start_date": "2024-05-02", "end_date": "2024-05-01"}, "start_date"),
        ({"status": "pending"}, "pending"),
        ({"extensions": "maybe"}, "extensions"),
    ],
)
def test_bad_queries_are_400s(client, api_key, query, words):
    response = client.get(f"{BASE}/requests.json", params=query)
    assert response.status_code == 400
    assert words in error_of(response)["description"]


def test_unknown_ids_paths_and_formats_answer_in_the_spec_shape(client, api_key):
    assert client.get(f"{BASE}/requests/53050220240101999.json").status_code == 404
    assert xml(client.get(f"{BASE}/requests/nothing.xml")).findtext("error/code") == "404"
    assert error_of(client.get(f"{BASE}/services.html"))["code"] == 400
    assert error_of(client.get(f"{BASE}/discovery/nowhere.json"))["code"] == 404


def second_city(db: Session) -> None:
    """昭通市 with one grid, so this deployment serves two cities."""
    records = [
        RegionRecord("530600", "昭通市", Level.CITY, "530000", box(103.0, 27.0, 103.4, 27.4)),
        RegionRecord("530602", "昭阳区", Level.DISTRICT, "530600", box(103.0, 27.0, 103.1, 27.1)),
        RegionRecord("530602001", "街道", Level.STREET, "530602", box(103.0, 27.0, 103.1, 27.1)),
        RegionRecord(
            "530602001001", "社区", Level.COMMUNITY, "530602001", box(103.0, 27.0, 103.1, 27.1)
        ),
        RegionRecord(
            "530602001001001", "网格", Level.GRID, "530602001001", box(103.0, 27.0, 103.1, 27.1)
        ),
    ]
    save_regions(db, records, kind="test", summary="second city")
    db.commit()


def test_with_two_cities_the_jurisdiction_must_be_named_and_limits_everything(
    client, api_key, city, db
):
    number = post_at(client, api_key, city).json()[0]["service_request_id"]
    second_city(db)
    response = client.get(f"{BASE}/requests.json")
    assert response.status_code == 400
    assert "jurisdiction_id" in error_of(response)["description"]
    own = client.get(f"{BASE}/requests.json", params={"jurisdiction_id": CITY}).json()
    assert [r["service_request_id"] for r in own] == [number]
    other = {"jurisdiction_id": "530600"}
    assert client.get(f"{BASE}/requests.json", params=other).json() == []
    assert client.get(f"{BASE}/requests/{number}.json", params=other).status_code == 404
    # This key belongs to 保山: it may not file for 昭通, nor file a 昭通 point under 保山.
    refused = post(client, api_key, jurisdiction_id="530600", address_string="昭阳区某路")
    assert refused.status_code == 403
    elsewhere = post(client, api_key, jurisdiction_id=CITY, lat="27.05", long="103.05")
    assert elsewhere.status_code == 400
    assert "530500" in error_of(elsewhere)["description"]


FIELD_NAMES = st.sampled_from(
    [
        *("service_code", "lat", "long", "address_string", "address_id", "description"),
        *("phone", "media_url", "jurisdiction_id", "attribute[DEPTH]", "attribute[X]"),
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fields=st.dictionaries(FIELD_NAMES, st.text(max_size=300), max_size=6))
def test_no_form_ever_makes_a_500(client, api_key, fields):
    response = client.post(f"{BASE}/requests.json", data={"api_key": api_key, **fields})
    assert response.status_code in {200, 201, 400, 403, 404}, response.text
    assert isinstance(response.json(), list)


@pytest.fixture
def command_line(database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch):
    """The command line pointed at this test's database."""
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", database_url)
    monkeypatch.setenv("CIVICGRID_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CIVICGRID_LANG", "en")
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(main, list(args), catch_exceptions=False)
    get_settings.cache_clear()


def test_a_key_made_on_the_command_line_files_a_request(client, api_key, city, command_line):
    made = command_line("api-key", "create", "--name", "市民通", "--scope", CITY)
    assert made.exit_code == 0, made.output
    assert "shown only this once" in made.output
    raw = made.output.strip().splitlines()[-1]
    assert raw.startswith("cgk_")
    assert post_at(client, raw, city).status_code == 201
    refused = command_line("api-key", "create", "--name", "x", "--scope", "999999")
    assert refused.exit_code == 2
