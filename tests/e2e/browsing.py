"""Requests a test makes beside the browser, as the open page itself would make them."""

from typing import Any
from urllib.parse import urlsplit


def post_from_page(page: Any, path: str, data: dict[str, Any]) -> Any:
    """POST with the page's cookies, so also its origin and CSRF token once a page is open
    (a signed-in browser's writes need both, see docs/web-security.md)."""
    headers = {}
    if page.url.startswith("http"):
        parts = urlsplit(page.url)
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        headers = {"Origin": f"{parts.scheme}://{parts.netloc}", "X-CSRF-Token": token}
    return page.request.post(path, data=data, headers=headers)
