"""The stream URL check and the stream origins setting, over any text."""

from hypothesis import given
from hypothesis import strategies as st

from civicgrid.alarms.streams import MAX_STREAM_URL, allowed_origins, checked_stream_url, origin_of
from civicgrid.errors import Invalid

PLATFORM = "https://video.example.gov.cn"


@given(st.text(max_size=600))
def test_any_text_is_either_refused_in_words_or_a_url_on_the_platform(text: str) -> None:
    try:
        url = checked_stream_url(text, (PLATFORM,))
    except Invalid:
        return
    assert url is None or (origin_of(url) == PLATFORM and len(url) <= MAX_STREAM_URL)


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80))
def test_a_path_on_the_platform_is_accepted_as_written(path: str) -> None:
    url = f"{PLATFORM}/{path.strip()}"
    if any(character.isspace() or ord(character) < 32 for character in url) or "@" in url:
        return
    if "\\" in url or "#" in url or "?" in url:
        return
    assert checked_stream_url(url, (PLATFORM,)) == url


@given(st.text(max_size=200))
def test_origins_the_setting_names_are_bare_http_origins(setting: str) -> None:
    for origin in allowed_origins(setting):
        assert origin_of(origin) == origin
        assert origin.startswith(("http://", "https://"))


def test_the_setting_keeps_origins_and_drops_paths_credentials_and_other_schemes() -> None:
    setting = (
        "https://Video.Example.gov.cn/, http://10.0.0.5:8080, https://a.example/path,"
        " ftp://b.example, https://u:p@c.example, https://video.example.gov.cn:443"
    )
    assert allowed_origins(setting) == (PLATFORM, "http://10.0.0.5:8080")
