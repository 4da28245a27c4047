"""Answered questions brought in from another system, and policies cut into passages."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from civicgrid.consult import engine, service
from civicgrid.consult.answered import responding_unit
from civicgrid.consult.knowledge import PASSAGE_CHARS, split
from civicgrid.settings import get_settings
from tests.factories import CITY, run, write_csv

HEADINGS = ("留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "答复意见", "答复时间")


def test_the_unit_a_reply_names_is_its_responding_unit():
    assert responding_unit("网友您好！经A7县教育局核实，该校已整改。") == "A7县教育局"
    assert responding_unit("您反映的问题已转泉塘街道核查、办复。") == "泉塘街道"
    assert responding_unit("网友：您好！留言已收悉") == ""


@given(st.lists(st.text(alphabet="噪音扰民。，！ 广场舞\n", max_size=900), max_size=8))
def test_passages_keep_every_character_and_none_is_too_long(paragraphs: list[str]):
    text = "\n".join(paragraphs)
    passages = split(text)
    assert all(0 < len(passage) <= PASSAGE_CHARS for passage in passages)
    assert "".join("".join(passages).split()) == "".join(text.split())


def test_replied_messages_imported_from_a_file_answer_a_resident(
    db: Session, cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # The index rests between builds; an import must not wait for the rest to end, or the
    # second import's replaced documents are missing until then.
    monkeypatch.setattr(engine, "REST_FACTOR", 10**9)
    rows = [
        (
            "9001",
            "A001",
            "广场舞噪音扰民",
            "2019/4/25 9:32:09",
            "  晚上广场舞噪音太大，电话13812345678  ",
            "网友您好！经A7县城市管理局核查，已要求十点后停止。",
            "2019/5/1 10:00:00",
        ),
        ("9002", "A002", "没有答复", "2019/4/25 9:32:09", "路灯坏了", "", ""),
    ]
    path = write_csv(tmp_path / "replies.csv", rows, headings=HEADINGS)
    result = run("consult", "import-answered", str(path), "--region", CITY)
    assert result.exit_code == 0, result.output
    assert "已导入 1 条答复留言" in result.output
    again = run("consult", "import-answered", str(path), "--region", CITY)
    assert again.exit_code == 0
    root = get_settings().data_dir / "consult"
    found = service.answered_questions(db, "广场舞噪音", root=root)
    assert [match.document.source_ref for match in found] == ["9001"]
    document = found[0].document
    assert document.answered_by == "A7县城市管理局"
    assert "138****5678" in document.body
    assert "13812345678" not in document.body


def test_a_file_without_the_columns_is_refused_with_a_message(cli_env: Path, tmp_path: Path):
    path = write_csv(tmp_path / "wrong.csv", [("1", "x")], headings=("编号", "内容"))
    result = run("consult", "import-answered", str(path), "--region", CITY)
    assert result.exit_code == 2
    assert "文件缺少列" in result.output


def test_reindex_builds_a_generation_from_nothing(cli_env: Path):
    result = run("consult", "reindex")
    assert result.exit_code == 0, result.output
    assert (cli_env / "consult" / "CURRENT").read_text().startswith("g-")


@pytest.mark.parametrize("text", ["", "   "])
def test_a_blank_text_has_no_passages(text: str):
    assert split(text) == []
