"""The consultation routes over HTTP: each door tried by the wrong role, the wrong area and
bad files; the knowledge base's passages found beside past cases, each citing its source."""

import io
import zipfile

import docx
from fastapi.testclient import TestClient
from fpdf import FPDF

from civicgrid.consult.knowledge import MAX_BYTES
from tests.consult.conftest import NOISE_REPLY, Consulted
from tests.factories import PASSWORD, People, auth, token_for

POLICY = (
    "广场舞噪音管理办法\n晚上十点以后，广场舞等娱乐活动不得使用音响设备。\n"
    "违反者由城管部门责令改正。"
)


def bearer(client: TestClient, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(client, username, PASSWORD)}"}


def word_file(text: str) -> bytes:
    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_file(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def upload(client: TestClient, headers: dict[str, str], name: str, data: bytes, title: str = ""):
    return client.post(
        "/api/v1/consult/knowledge",
        files={"file": (name, data, "application/octet-stream")},
        data={"title": title},
        headers=headers,
    )


def test_a_handler_gets_similar_cases_with_reasons_citations_and_a_draft(
    client: TestClient, consulted: Consulted
):
    answer = client.get(
        f"/api/v1/consult/cases/{consulted.open_noise}/similar", headers=bearer(client, "c.handler")
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    sources = [match["source"] for match in body["matches"]]
    assert consulted.noise in sources
    assert consulted.foreign_noise not in sources
    noise = next(match for match in body["matches"] if match["source"] == consulted.noise)
    assert noise["citation"] == f"案件 {consulted.noise}"
    assert noise["answer"] == NOISE_REPLY
    assert noise["reasons"][0].startswith("共同词语")
    assert "同一网格" in noise["reasons"]
    assert NOISE_REPLY in body["draft"]


def test_the_panel_speaks_english_when_asked(client: TestClient, consulted: Consulted):
    headers = {**bearer(client, "owner"), "Accept-Language": "en"}
    body = client.get(
        f"/api/v1/consult/cases/{consulted.open_noise}/similar", headers=headers
    ).json()
    noise = next(match for match in body["matches"] if match["source"] == consulted.noise)
    assert noise["citation"] == f"Case {consulted.noise}"
    assert "Same grid" in noise["reasons"]


def test_another_districts_handler_is_told_the_case_does_not_exist(
    client: TestClient, consulted: Consulted
):
    answer = client.get(
        f"/api/v1/consult/cases/{consulted.open_noise}/similar",
        headers=bearer(client, "c.far_handler"),
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "case_not_found"


def test_a_resident_typing_noise_sees_answered_questions_without_an_account(
    client: TestClient, consulted: Consulted
):
    answer = client.get("/api/v1/consult/answers", params={"q": "噪音扰民"})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert consulted.noise in [match["source"] for match in found]
    assert all(set(match) >= {"text", "answer", "citation"} for match in found)
    assert "region_code" not in found[0]
    assert "grid_code" not in found[0]


def test_a_question_too_short_or_too_long_is_a_422_in_the_users_language(
    client: TestClient, consulted: Consulted
):
    short = client.get(
        "/api/v1/consult/answers", params={"q": "吵"}, headers={"Accept-Language": "en"}
    )
    assert short.status_code == 422
    assert short.json()["error"]["message"].startswith("A question must have")
    long = client.get("/api/v1/consult/answers", params={"q": "吵" * 2001})
    assert long.status_code == 422


def test_answered_questions_are_throttled_per_address(client: TestClient, consulted: Consulted):
    codes = [
        client.get("/api/v1/consult/answers", params={"q": "噪音扰民"}).status_code
        for _ in range(31)
    ]
    assert codes[:30] == [200] * 30
    assert codes[30] == 429


def test_a_mediator_gets_past_disputes_of_the_area_with_agreements(
    client: TestClient, consulted: Consulted
):
    answer = client.get(
        f"/api/v1/consult/disputes/{consulted.dispute}/similar",
        headers=bearer(client, "c.mediator"),
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert [match["source"] for match in found] == [consulted.agreed]
    assert found[0]["citation"] == f"纠纷 {consulted.agreed}"
    assert "修复漏水管道" in found[0]["answer"]
    far = client.get(
        f"/api/v1/consult/disputes/{consulted.dispute}/similar",
        headers=bearer(client, "c.far_mediator"),
    )
    assert far.status_code == 404


def test_an_uploaded_policy_is_split_indexed_and_cited_beside_past_cases(
    client: TestClient, people: People, consulted: Consulted
):
    admin = auth(client, people.admin)
    made = upload(client, admin, "noise.docx", word_file(POLICY), title="广场舞噪音管理办法")
    assert made.status_code == 201, made.text
    assert made.json()["chunk_count"] == 1
    found = client.get("/api/v1/consult/answers", params={"q": "广场舞噪音音响"}).json()
    kinds = {match["kind"] for match in found}
    assert {"knowledge", "case"} <= kinds
    policy = next(match for match in found if match["kind"] == "knowledge")
    assert policy["citation"] == "《广场舞噪音管理办法》第 1 段"
    listed = client.get("/api/v1/consult/knowledge", headers=admin).json()
    assert [row["title"] for row in listed] == ["广场舞噪音管理办法"]
    gone = client.delete(f"/api/v1/consult/knowledge/{listed[0]['id']}", headers=admin)
    assert gone.status_code == 204
    again = client.get("/api/v1/consult/answers", params={"q": "广场舞噪音音响"}).json()
    assert "knowledge" not in {match["kind"] for match in again}


def test_a_pdf_and_a_text_file_are_read_too(
    client: TestClient, people: People, consulted: Consulted
):
    admin = auth(client, people.admin)
    pdf = upload(client, admin, "quiet.pdf", pdf_file("Quiet hours start at 22:00 in every park."))
    assert pdf.status_code == 201, pdf.text
    text = upload(
        client, admin, "faq.txt", "问：垃圾多久清运一次？\n答：每日两次。".encode("gb18030")
    )
    assert text.status_code == 201, text.text
    found = client.get("/api/v1/consult/answers", params={"q": "quiet hours park"}).json()
    assert found[0]["citation"] == "《quiet》第 1 段"
    assert (
        client.get("/api/v1/consult/answers", params={"q": "垃圾清运"}).json()[0]["kind"]
        == "knowledge"
    )


def test_only_an_administrator_uploads_and_another_areas_file_is_not_found(
    client: TestClient, people: People, consulted: Consulted
):
    refused = upload(client, bearer(client, "owner"), "noise.txt", POLICY.encode())
    assert refused.status_code == 403
    made = upload(client, auth(client, people.admin), "noise.txt", POLICY.encode())
    assert made.status_code == 201
    far_admin = bearer(client, "c.far_admin")
    assert client.get("/api/v1/consult/knowledge", headers=far_admin).json() == []
    gone = client.delete(f"/api/v1/consult/knowledge/{made.json()['id']}", headers=far_admin)
    assert gone.status_code == 404


def test_wrong_huge_and_malformed_files_are_refused_with_a_message(
    client: TestClient, people: People, consulted: Consulted
):
    admin = {**auth(client, people.admin), "Accept-Language": "en"}
    cases = {
        "policy.exe": (b"MZ\x90\x00", 422, "Only these kinds"),
        "fake.pdf": (b"not a pdf at all", 422, "cannot be read as pdf"),
        "broken.docx": (b"PK\x03\x04 broken zip", 422, "cannot be read as docx"),
        "binary.txt": (b"\x00\x01\x02", 422, "cannot be read as txt"),
        "empty.txt": (b"   \n  ", 422, "no readable text"),
        "huge.txt": (b"a" * (MAX_BYTES + 1), 413, "larger than"),
    }
    for name, (data, status, message) in cases.items():
        answer = upload(client, admin, name, data)
        assert answer.status_code == status, (name, answer.text)
        assert message in answer.json()["error"]["message"], name


def test_a_zip_bomb_disguised_as_a_word_file_is_refused_before_it_is_unpacked(
    client: TestClient, people: People, consulted: Consulted
):
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * (60 * 1024 * 1024))
    answer = upload(client, auth(client, people.admin), "bomb.docx", packed.getvalue())
    assert answer.status_code == 413
