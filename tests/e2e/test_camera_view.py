"""In a real browser: the cameras near a case on the desk, and a camera's live view played
in the page from an HLS stream on another origin (the city's video platform).

The stream is a real HLS clip the test makes with Debian's ffmpeg (H.264 in MPEG-TS
segments, what such platforms serve; Debian's Chromium plays H.264) and serves from a
second local HTTP server, whose origin the app's settings name as a stream origin.
"""

import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from civicgrid.alarms.device_codes import DeviceKind
from civicgrid.alarms.service import DeviceInput, Spot, register_device
from civicgrid.console import console_actor
from civicgrid.geo.service import GridIndex
from civicgrid.settings import Settings
from tests.e2e.helpers import open_case, sign_in, zh
from tests.factories import City, People, new_case

pytestmark = pytest.mark.e2e

CAMERA = "53050200081326000021"
SILENT_CAMERA = "53050200081326000022"
CLIP_SECONDS = 4


class _PlatformHandler(SimpleHTTPRequestHandler):
    """Serves the clip as a video platform does: readable by pages of other origins (CORS)."""

    extensions_map = {  # noqa: RUF012 - the base class's own attribute, replaced
        ".m3u8": "application/vnd.apple.mpegurl",
        ".ts": "video/mp2t",
    }

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test's output is the browser's."""


@pytest.fixture
def video_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A short HLS clip made by ffmpeg, served from its own loopback port; its origin."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.fail("ffmpeg is missing: install Debian's ffmpeg (scripts/system-deps.sh)")
    folder = tmp_path_factory.mktemp("hls")
    subprocess.run(
        [
            ffmpeg, "-hide_banner", "-loglevel", "error",
            "-f", "lavfi", "-i", f"testsrc=size=320x180:rate=25:duration={CLIP_SECONDS}",
            "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-g", "25",
            "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
            str(folder / "live.m3u8"),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_PlatformHandler, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, video_platform: str) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        data_dir=tmp_path / "var",
        stream_origins=video_platform,
    )


@pytest.fixture
def cameras(db: Session, city: City, video_platform: str) -> str:
    """A case in the owner's grid with two cameras beside it, one with a stream; its number."""
    case = new_case(db, city)
    assert case.lng is not None
    assert case.lat is not None
    for code, offset, url in (
        (CAMERA, 0.0004, f"{video_platform}/live.m3u8"),
        (SILENT_CAMERA, 0.0001, ""),
    ):
        data = DeviceInput(
            code=code,
            kind=DeviceKind.CAMERA,
            name=f"路口摄像机{code[-1]}",
            spot=Spot(case.lng + offset, case.lat),
            stream_url=url,
        )
        register_device(
            db, console_actor(), grid_index=GridIndex(), data=data, stream_origins=(video_platform,)
        )
    db.commit()
    return case.number


def test_a_dispatcher_watches_the_nearest_cameras_live_view_of_a_case(
    page: Any, people: People, cameras: str, artifacts: Path
) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    open_case(page, cameras)
    page.wait_for_selector("#cameras[data-state='ready']")
    items = page.locator("#cameras li")
    assert items.count() == 2
    # Nearest first, each with its distance; the one without a stream offers no view.
    assert items.nth(0).get_attribute("data-code") == SILENT_CAMERA
    assert zh("page.camview.camera.no_stream") in items.nth(0).inner_text()
    assert "米" in items.nth(1).inner_text()
    items.nth(1).get_by_role("button", name=zh("page.camview.camera.watch")).click()
    page.wait_for_selector("#camera-dialog[data-state='playing']", timeout=20_000)
    page.wait_for_function(
        "() => document.getElementById('camera-video').currentTime > 1", timeout=20_000
    )
    shown = page.evaluate(
        "(() => { const v = document.getElementById('camera-video');"
        " return [v.videoWidth, v.videoHeight, v.error === null]; })()"
    )
    assert shown == [320, 180, True]
    assert page.locator("#camera-heading").inner_text() == zh(
        "page.camview.player.title", name=f"路口摄像机{CAMERA[-1]}"
    )
    page.screenshot(path=str(artifacts / "desk-camera-live-view.png"))
    page.get_by_role("button", name=zh("page.camview.player.close")).click()
    assert not page.locator("#camera-dialog").is_visible()
    assert [text for text in refused if "Content Security Policy" in text] == []


def test_a_keeper_gives_a_camera_its_stream_on_the_admin_page_and_a_bad_one_is_refused(
    page: Any, people: People, cameras: str, video_platform: str
) -> None:
    answers = iter(["ftp://video.example.gov.cn/live.m3u8", f"{video_platform}/live.m3u8"])
    page.on("dialog", lambda prompt: prompt.accept(next(answers)))
    sign_in(page, people.owner.username, people.owner.password)
    page.goto("/admin#devices")
    page.wait_for_selector("#devices[data-state='ready']")
    row = page.locator(f"#devices-table tr[data-code='{SILENT_CAMERA}']")
    row.get_by_role("button", name=zh("page.camview.stream_url")).click()
    expect(page.locator("#device-filter")).to_contain_text(zh("error.stream_url_invalid"))
    row.get_by_role("button", name=zh("page.camview.stream_url")).click()
    page.wait_for_selector("#devices[data-state='ready']")
    page.goto("/desk")
    page.wait_for_selector("#queue-table[data-state='ready']")
    open_case(page, cameras)
    page.wait_for_selector("#cameras[data-state='ready']")
    watch = page.locator(f"#cameras li[data-code='{SILENT_CAMERA}']").get_by_role(
        "button", name=zh("page.camview.camera.watch")
    )
    expect(watch).to_be_visible()
