"""A file the browser saves rather than shows: every export (Excel, PDF) answers through
`attachment`, so the header and its quoting are written once."""

from fastapi.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(body: bytes, filename: str, media_type: str = XLSX) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
