"""CIVICGRID_LOG_FORMAT=json: one JSON object per line, personal numbers masked in every field."""

import io
import json
import logging

from civicgrid.logs import configure_worker_logging
from civicgrid.settings import Settings


def test_worker_json_lines_mask_numbers_in_the_message_and_in_extra_fields(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    kept = (root.handlers[:], root.level)
    try:
        configure_worker_logging(Settings(log_format="json"))
        logging.getLogger("civicgrid.worker").info(
            "called back %s", "13912345678", extra={"reporter": "身份证 110101199003071233"}
        )
    finally:
        root.handlers, root.level = kept[0], kept[1]

    [line] = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["name"] == "civicgrid.worker"
    assert record["message"] == "called back 139****5678"
    assert "110101199003071233" not in line
    assert "13912345678" not in line


def test_text_lines_stay_plain_and_masked(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    kept = (root.handlers[:], root.level)
    try:
        configure_worker_logging(Settings(log_format="text"))
        logging.getLogger("civicgrid.worker").warning("phone 13912345678 unreachable")
    finally:
        root.handlers, root.level = kept[0], kept[1]

    assert stream.getvalue().rstrip().endswith("WARNING phone 139****5678 unreachable")
