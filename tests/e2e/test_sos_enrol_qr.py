"""In a real browser: an SOS button's new key comes with its enrolment link also drawn as a
QR code, and closing the dialog wipes the code with the link."""

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.categories.seeds import seed_builtin
from civicgrid.console import console_actor
from civicgrid.geo.service import GridIndex
from tests.e2e.helpers import sign_in, zh
from tests.factories import OWN_GRID, City, People

pytestmark = pytest.mark.e2e

SOS_BUTTON_CODE = "53050200081346000009"

# Dark and light pixels of the canvas, and whether its top-left finder square is dark at
# its corner and at its centre, light in the ring between (a QR code's fixed pattern).
READ_CANVAS = """() => {
  const canvas = document.getElementById('device-enrol-qr');
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let dark = 0, light = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) continue;
    if (data[i] < 128) dark += 1; else light += 1;
  }
  const modules = canvas.dataset.modules ? Number(canvas.dataset.modules) : 0;
  const size = canvas.width / (modules + 4);
  const at = (x, y) => {
    const px = canvas.getContext('2d').getImageData(
      Math.floor((2 + x + 0.5) * size), Math.floor((2 + y + 0.5) * size), 1, 1).data;
    return px[3] !== 0 && px[0] < 128;
  };
  return { dark, light, finder: modules ? [at(0, 0), at(1, 1), at(3, 3)] : [] };
}"""


@pytest.fixture
def sos_button(db: Session, city: City) -> str:
    seed_builtin(db)
    data = DeviceInput(
        code=SOS_BUTTON_CODE,
        kind=DeviceKind.SOS_BUTTON,
        name="一中门卫室",
        spot=Spot(*city.point_in(OWN_GRID)),
    )
    register_device(db, console_actor(), grid_index=GridIndex(), data=data)
    db.commit()
    return SOS_BUTTON_CODE


def test_an_sos_buttons_new_key_shows_its_enrolment_link_as_a_qr_code_until_closed(
    page: Any, people: People, sos_button: str
) -> None:
    sign_in(page, people.admin.username, people.admin.password)
    page.goto("/admin#devices")
    page.wait_for_selector("#devices[data-state='ready']")
    row = page.locator(f"#devices-table tr[data-code='{sos_button}']")
    page.once("dialog", lambda confirm: confirm.accept())
    row.get_by_role("button", name=zh("page.sensing.rotate")).click()

    dialog = page.locator("#device-key-dialog")
    expect(dialog).to_be_visible()
    link = dialog.locator("#device-enrol-link").inner_text()
    assert f"/sos#code={sos_button}&key=cgd_" in link
    qr = dialog.get_by_role("img", name=zh("page.sos_qr.hint"))
    expect(qr).to_have_attribute("data-state", "drawn")
    drawn = page.evaluate(READ_CANVAS)
    assert drawn["dark"] > 0
    assert drawn["light"] > 0
    assert drawn["finder"] == [True, False, True]

    dialog.get_by_role("button", name=zh("page.sensing.key.close")).click()
    expect(dialog).to_be_hidden()
    wiped = page.evaluate(READ_CANVAS)
    assert (wiped["dark"], wiped["light"]) == (0, 0)
