"""Case photos: decoded, not trusted; stripped of metadata; stored once; seen in jurisdiction."""

import base64
import hashlib
from fractions import Fraction
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy import select

from civicgrid import photostore
from civicgrid.auth.models import Role
from civicgrid.auth.service import create_department
from civicgrid.cases import photos
from civicgrid.cases.models import Case, CasePhoto
from civicgrid.cases.workflow import Change, Status, transition
from civicgrid.errors import Invalid
from civicgrid.settings import get_settings
from tests.factories import (
    PHOTO_LAT,
    PHOTO_LNG,
    People,
    actor,
    auth,
    exif_with,
    new_case,
    picture,
    report,
)

pytestmark = pytest.mark.usefixtures("photo_dir")  # photos land in the test's own folder


def limit(monkeypatch: pytest.MonkeyPatch, name: str, value: int) -> None:
    monkeypatch.setenv(f"CIVICGRID_{name.upper()}", str(value))
    get_settings.cache_clear()


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_each_format_is_read_located_and_stripped_of_every_metadata(fmt, content_type):
    source = picture(fmt)
    assert Image.open(BytesIO(source)).getexif()  # the upload really carries EXIF

    checked = photostore.check_image(source)

    assert checked.content_type == content_type
    assert (checked.width, checked.height) == (40, 20)
    assert checked.lng == pytest.approx(PHOTO_LNG, abs=1e-6)
    assert checked.lat == pytest.approx(PHOTO_LAT, abs=1e-6)
    assert checked.sha256 == hashlib.sha256(checked.data).hexdigest()
    kept = Image.open(BytesIO(checked.data))
    assert kept.format == fmt
    assert not kept.getexif()
    assert not kept.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "xmp" not in kept.info
    assert b"Zhang San" not in checked.data
    assert b"Civic Phone" not in checked.data


def test_the_exif_orientation_is_applied_before_the_tags_are_dropped():
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise, so the
    # left (red) half of the stored pixels shows on top.
    checked = photostore.check_image(picture("PNG", orientation=6, colour="blue"))
    upright = Image.open(BytesIO(checked.data)).convert("RGB")
    assert (checked.width, checked.height) == (20, 40)
    assert upright.getpixel((10, 5)) == (255, 0, 0)
    assert upright.getpixel((10, 35)) == (0, 0, 255)


def test_a_transparent_palette_png_keeps_its_transparency():
    drawing = Image.new("P", (30, 30))
    drawing.putpalette([0, 0, 0, 255, 0, 0] * 128)
    drawing.paste(1, (0, 0, 15, 30))
    buffer = BytesIO()
    drawing.save(buffer, "PNG", transparency=0)
    kept = Image.open(BytesIO(photostore.check_image(buffer.getvalue()).data))
    assert kept.mode == "RGBA"
    assert kept.getpixel((5, 5)) == (255, 0, 0, 255)
    assert kept.getpixel((20, 5))[3] == 0


def test_a_photo_without_location_or_at_null_island_has_no_point():
    assert photostore.check_image(picture(point=None)).lng is None
    assert photostore.check_image(picture(point=(0.0, 0.0))).lat is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "photo_empty"),
        (b"this is a text file named photo.jpg\n", "photo_not_image"),
        (b"GIF89a" + b"\x00" * 40, "photo_not_image"),
        (picture()[:300], "photo_damaged"),
        (picture("PNG")[:60], "photo_damaged"),
    ],
    ids=["empty", "text", "gif", "truncated-jpeg", "truncated-png"],
)
def test_fakes_and_broken_files_are_refused_with_their_reason(data, code):
    with pytest.raises(Invalid) as refused:
        photostore.check_image(data, position=2)
    assert refused.value.code == code
    assert refused.value.params["position"] == 2


def test_a_decompression_bomb_is_refused_before_it_is_decoded(monkeypatch):
    # 48 megapixels of one-bit white compress to a few kilobytes.
    bomb = BytesIO()
    Image.new("1", (8000, 6000), 1).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(Invalid) as refused:
        photostore.check_image(bomb.getvalue())
    assert refused.value.code == "photo_too_many_pixels"
    assert refused.value.params["limit_mp"] == "40"


@given(
    degrees=st.integers(0, 179),
    minutes=st.integers(0, 59),
    milliseconds=st.integers(0, 60_000),
    ref=st.sampled_from(["E", "W", b"E\x00", "w"]),
)
def test_gps_rationals_become_signed_decimal_degrees(degrees, minutes, milliseconds, ref):
    triple = (IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(milliseconds, 1000))
    value = photostore.gps_degrees(triple, ref, limit=180)
    expected = Fraction(degrees) + Fraction(minutes, 60) + Fraction(milliseconds, 3_600_000)
    if expected > 180:
        assert value is None
        return
    sign = -1 if photostore._ref_letter(ref) == "W" else 1
    assert value == pytest.approx(sign * float(expected), abs=1e-9)


@given(point=st.tuples(st.floats(-179.99, 179.99), st.floats(-89.99, 89.99)))
def test_a_point_written_as_exif_reads_back_within_two_centimetres(point):
    lng, lat = point
    exif = Image.Exif()
    exif.load(exif_with((lng, lat)).tobytes())
    read = photostore.exif_location(exif)
    if round(abs(lng) * 3_600_000) == 0 and round(abs(lat) * 3_600_000) == 0:
        assert read is None  # both written as 0 ms of arc: null island, no location
        return
    assert read is not None
    # Seconds kept to the millisecond of arc: half of it is 1.4e-7°, about 1.5 cm.
    assert read[0] == pytest.approx(lng, abs=1.5e-7)
    assert read[1] == pytest.approx(lat, abs=1.5e-7)


@pytest.mark.parametrize(
    ("triple", "ref"),
    [
        ((IFDRational(25, 1), IFDRational(61, 1), IFDRational(0, 1)), "N"),
        ((IFDRational(25, 1), IFDRational(1, 1), IFDRational(61, 1)), "N"),
        ((IFDRational(91, 1), IFDRational(0, 1), IFDRational(0, 1)), "N"),
        ((IFDRational(25, 0), IFDRational(0, 1), IFDRational(0, 1)), "N"),
        ((IFDRational(25, 1), IFDRational(0, 1)), "N"),
        ((IFDRational(25, 1), IFDRational(0, 1), IFDRational(0, 1)), "X"),
        ("25,7,12", "N"),
    ],
)
def test_implausible_gps_values_are_ignored(triple, ref):
    assert photostore.gps_degrees(triple, ref, limit=90) is None


def test_json_photos_arrive_as_base64_or_data_urls_and_the_bad_one_is_named():
    plain = base64.b64encode(picture(point=None)).decode()
    data_url = "data:image/png;base64," + base64.b64encode(picture("PNG")).decode()
    checked = photostore.decode_base64_photos([plain, data_url])
    assert [image.content_type for image in checked] == ["image/jpeg", "image/png"]
    assert photostore.exif_point(checked) == pytest.approx((PHOTO_LNG, PHOTO_LAT), abs=1e-6)
    with pytest.raises(Invalid) as refused:
        photostore.decode_base64_photos([plain, "not base64 at all!"])
    assert (refused.value.code, refused.value.params["position"]) == ("photo_base64_invalid", 2)
    with pytest.raises(Invalid) as refused:
        photostore.decode_base64_photos([base64.b64encode(b"plain text").decode()])
    assert (refused.value.code, refused.value.params["position"]) == ("photo_not_image", 1)


def test_too_many_json_photos_are_refused_before_decoding(monkeypatch):
    limit(monkeypatch, "photo_max_per_case", 2)
    with pytest.raises(Invalid) as refused:
        photostore.decode_base64_photos(["x", "y", "z"])
    assert refused.value.code == "photo_limit"


def test_the_same_content_is_stored_once_and_the_limit_counts_per_purpose(
    db, city, photo_dir, monkeypatch
):
    limit(monkeypatch, "photo_max_per_case", 2)
    case = new_case(db, city)
    first = photostore.check_image(picture())
    again = photos.attach(db, case, [first, first], purpose="report", actor_label="resident")
    db.commit()
    assert len({row.id for row in again}) == 1
    photos.attach(db, case, [first], purpose="evidence", actor_label="user:owner")
    db.commit()
    assert len(stored_files(photo_dir)) == 1
    stored = stored_files(photo_dir)[0]
    assert stored.name == f"{first.sha256}.jpg"
    assert stored.parent.name == first.sha256[:2]
    extra = [photostore.check_image(picture(colour=c)) for c in ("blue", "white")]
    with pytest.raises(Invalid) as refused:
        photos.attach(db, case, extra, purpose="report", actor_label="resident")
    assert refused.value.code == "photo_limit"


def upload(client, number, person, *files: bytes):
    return client.post(
        f"/api/v1/cases/{number}/photos",
        files=[("files", (f"photo{i}.jpg", data, "image/jpeg")) for i, data in enumerate(files)],
        headers=auth(client, person),
    )


def test_evidence_is_uploaded_listed_and_downloaded_inside_jurisdiction_only(
    client, city, people: People
):
    number = report(client, city).json()["number"]
    response = upload(client, number, people.owner, picture(), picture("WEBP"))
    assert response.status_code == 201, response.text
    first = response.json()[0]
    assert first["purpose"] == "evidence"
    assert first["uploaded_by"] == "user:owner"
    assert first["lng"] == pytest.approx(PHOTO_LNG, abs=1e-6)

    listed = client.get(f"/api/v1/cases/{number}/photos", headers=auth(client, people.peer))
    assert [photo["content_type"] for photo in listed.json()] == ["image/jpeg", "image/webp"]
    image = client.get(
        f"/api/v1/cases/{number}/photos/{first['id']}", headers=auth(client, people.peer)
    )
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert not Image.open(BytesIO(image.content)).getexif()

    outsider = auth(client, people.outsider)
    photo_url = f"/api/v1/cases/{number}/photos/{first['id']}"
    assert client.get(photo_url, headers=outsider).status_code == 404
    assert client.get(f"/api/v1/cases/{number}/photos", headers=outsider).status_code == 404
    assert upload(client, number, people.outsider, picture()).status_code == 404
    assert client.get(photo_url).status_code == 401


def test_a_photo_of_another_case_is_not_found_under_this_one(client, city, people: People):
    first = report(client, city).json()["number"]
    second = report(client, city, description="另一处").json()["number"]
    photo = upload(client, first, people.owner, picture()).json()[0]
    response = client.get(
        f"/api/v1/cases/{second}/photos/{photo['id']}", headers=auth(client, people.owner)
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "photo_not_found"


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (b"just text, named photo.jpg", "photo_not_image"),
        (picture()[:400], "photo_damaged"),
    ],
)
def test_a_batch_with_a_bad_file_stores_nothing(client, city, people, bad, code):
    number = report(client, city).json()["number"]
    response = upload(client, number, people.owner, picture(), bad)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert "2" in response.json()["error"]["message"]
    listed = client.get(f"/api/v1/cases/{number}/photos", headers=auth(client, people.owner))
    assert listed.json() == []
    assert stored_files(photostore.photo_root()) == []


def test_an_oversized_file_is_refused_and_nothing_is_stored(client, city, people, monkeypatch):
    number = report(client, city).json()["number"]
    limit(monkeypatch, "photo_max_bytes", 1000)
    big = picture(size=(400, 300))
    assert len(big) > 1000
    response = upload(client, number, people.owner, big)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "photo_too_large"
    listed = client.get(f"/api/v1/cases/{number}/photos", headers=auth(client, people.owner))
    assert listed.json() == []
    assert stored_files(photostore.photo_root()) == []


def test_a_leader_may_look_but_not_add_evidence(client, city, people: People):
    number = report(client, city).json()["number"]
    response = upload(client, number, people.leader, picture())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "photo_role"


@pytest.fixture
def handler(db, city) -> tuple[int, object]:
    department = create_department(
        db, code="530502-urban", name="城管", kind="urban_management", region_code="530502"
    )
    db.commit()
    return department.id, actor(Role.DEPARTMENT_HANDLER, department_id=department.id)


def claimed_case(db, city, department_id: int, handler_actor) -> Case:
    case = new_case(db, city)
    dispatcher = actor(Role.DISPATCHER)
    for change, who in [
        (Change(to=Status.ACCEPTED), dispatcher),
        (Change(to=Status.DISPATCHED, department_id=department_id), dispatcher),
        (Change(to=Status.CLAIMED), handler_actor),
    ]:
        transition(db, case_id=case.id, change=change, actor=who)
        db.commit()
    return case


def evidence(db, case: Case, colour: str = "green") -> None:
    photos.attach(
        db,
        case,
        [photostore.check_image(picture(colour=colour))],
        purpose="evidence",
        actor_label="h",
    )
    db.commit()


def test_resolving_needs_a_note_or_an_evidence_photo(db, city, handler):
    department_id, handler_actor = handler
    case = claimed_case(db, city, department_id, handler_actor)
    with pytest.raises(Invalid) as refused:
        transition(db, case_id=case.id, change=Change(to=Status.RESOLVED), actor=handler_actor)
    assert refused.value.code == "resolution_account_required"
    db.rollback()
    photos.attach(
        db, case, [photostore.check_image(picture())], purpose="report", actor_label="resident"
    )
    db.commit()
    with pytest.raises(Invalid):
        transition(db, case_id=case.id, change=Change(to=Status.RESOLVED), actor=handler_actor)
    db.rollback()
    evidence(db, case)
    moved = transition(db, case_id=case.id, change=Change(to=Status.RESOLVED), actor=handler_actor)
    db.commit()
    assert moved.status == "resolved"


def test_a_note_alone_still_resolves(db, city, handler):
    department_id, handler_actor = handler
    case = claimed_case(db, city, department_id, handler_actor)
    change = Change(to=Status.RESOLVED, note="已修复井盖")
    assert transition(db, case_id=case.id, change=change, actor=handler_actor).status == "resolved"


def test_after_a_rework_only_new_evidence_counts(db, city, handler):
    department_id, handler_actor = handler
    case = claimed_case(db, city, department_id, handler_actor)
    evidence(db, case)
    steps = [
        (Change(to=Status.RESOLVED), handler_actor),
        (Change(to=Status.REOPENED, note="核查未通过，井盖仍松动"), actor(Role.GRID_WORKER)),
        (Change(to=Status.CLAIMED), handler_actor),
    ]
    for change, who in steps:
        transition(db, case_id=case.id, change=change, actor=who)
        db.commit()
    with pytest.raises(Invalid) as refused:
        transition(db, case_id=case.id, change=Change(to=Status.RESOLVED), actor=handler_actor)
    assert refused.value.code == "resolution_account_required"
    db.rollback()
    evidence(db, case, colour="blue")
    moved = transition(db, case_id=case.id, change=Change(to=Status.RESOLVED), actor=handler_actor)
    assert moved.status == "resolved"


def test_a_grid_worker_self_resolves_with_a_photo_instead_of_a_note(db, city):
    case = new_case(db, city)
    worker = actor(Role.GRID_WORKER)
    evidence(db, case)
    moved = transition(db, case_id=case.id, change=Change(to=Status.SELF_RESOLVED), actor=worker)
    assert moved.status == "self_resolved"
    rows = db.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id)).all()
    assert [row.purpose for row in rows] == ["evidence"]


def test_photos_of_one_report_are_bounded_in_pixels_together_before_decoding(
    client, city, monkeypatch
):
    # Six 8000 x 6000 one-bit PNGs: a few kilobytes each, 288 megapixels to decode together.
    bomb = BytesIO()
    Image.new("1", (6000, 5000), 1).save(bomb, "PNG")
    shots = [base64.b64encode(bomb.getvalue()).decode()] * 3

    response = report(client, city, photos=shots, headers={"Accept-Language": "en"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "photo_request_too_many_pixels"
    assert "60 megapixels" in response.json()["error"]["message"]
