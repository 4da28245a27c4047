"""The region picker's search box: regions found by name inside the caller's area, each
with the names of the regions above it; the tree's children come from `regions/{code}`."""

from tests.factories import OWN_STREET, People, auth

OWN_COMMUNITY = f"{OWN_STREET}001"


def test_a_name_finds_the_regions_of_the_callers_area_with_the_names_above_them(
    client, people: People
):
    response = client.get(
        "/api/v1/geo/regions", params={"q": "社区"}, headers=auth(client, people.owner)
    )
    assert response.status_code == 200
    hits = response.json()
    assert [hit["code"] for hit in hits] == [f"{OWN_STREET}00{n}" for n in range(1, 5)]
    assert hits[0] == {
        "code": OWN_COMMUNITY,
        "name": f"社区{OWN_COMMUNITY}",
        "level": "community",
        "path": ["区530502", f"街道{OWN_STREET}"],
    }


def test_an_outsider_finds_nothing_in_another_district(client, people: People):
    response = client.get(
        "/api/v1/geo/regions", params={"q": OWN_STREET}, headers=auth(client, people.outsider)
    )
    assert response.status_code == 200
    assert response.json() == []


def test_the_search_stops_at_the_deepest_level_asked(client, people: People):
    response = client.get(
        "/api/v1/geo/regions",
        params={"q": OWN_STREET, "deepest": "street", "limit": 20},
        headers=auth(client, people.leader),
    )
    assert [hit["level"] for hit in response.json()] == ["street"]


def test_names_starting_with_the_text_come_before_names_only_holding_it(client, people: People):
    response = client.get(
        "/api/v1/geo/regions",
        params={"q": "网格530502001001", "limit": 3},
        headers=auth(client, people.leader),
    )
    assert [hit["name"] for hit in response.json()] == [
        f"网格{OWN_COMMUNITY}00{n}" for n in range(1, 4)
    ]


def test_an_empty_search_is_refused_in_the_readers_language(client, people: People):
    response = client.get(
        "/api/v1/geo/regions",
        params={"q": " "},
        headers={**auth(client, people.leader), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "Type 1 to 50 characters to find a region"


def test_codes_a_page_holds_are_named_inside_the_area_and_above_it_but_not_elsewhere(
    client, people: People
):
    response = client.get(
        "/api/v1/geo/regions",
        params={"codes": f"530500,{OWN_COMMUNITY},530521001, 530502"},
        headers=auth(client, people.owner),
    )
    assert response.status_code == 200
    assert [(hit["code"], hit["name"]) for hit in response.json()] == [
        ("530500", "保山市"),
        ("530502", "区530502"),
        (OWN_COMMUNITY, f"社区{OWN_COMMUNITY}"),
    ]


def test_codes_that_are_not_digits_are_refused(client, people: People):
    response = client.get(
        "/api/v1/geo/regions", params={"codes": "530500,abc"}, headers=auth(client, people.owner)
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "picker_codes_invalid"
