"""Free text is masked as a person reads numbers: spaced, dashed, dotted, full-width.

Open311's public feed, dispute alerts, duty messages and the server logs all mask
through `mask_personal_data`; these properties hold it to any rendering of a
phone or an ID number, and to leaving dates, amounts and case numbers alone.
"""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.masking import mask_personal_data

FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
SEPARATORS = [" ", "-", ".", "－", "\u3000", " - ", "．", "—"]
REGIONS = ["530502", "530521", "110105", "440305", "130102", "620102"]

mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
id_numbers = st.builds(
    lambda region, born, sequence, check: f"{region}{born:%Y%m%d}{sequence}{check}",
    st.sampled_from(REGIONS),
    st.dates(min_value=date(1920, 1, 1), max_value=date(2024, 12, 31)),
    st.text("0123456789", min_size=3, max_size=3),
    st.sampled_from("0123456789Xx"),
)
contexts = st.sampled_from(["", "电话", "联系人张先生，", "身份证：", "请拨打 ", "（", "号码是"])
endings = st.sampled_from(["", "。", "，谢谢", " 转人工", "）", "\n"])


@st.composite
def written(draw: st.DrawFn, number: str) -> str:
    """`number` split into blocks at a few places, with separators, maybe full-width.

    An ID number's check X stays on its last digit, as it is printed.
    """
    places = st.integers(1, len(number) - 1).filter(lambda cut: number[cut].isdigit())
    cuts = sorted(draw(st.sets(places, max_size=4)))
    blocks = [
        number[start:end] for start, end in zip([0, *cuts], [*cuts, len(number)], strict=True)
    ]
    text = blocks[0]
    for block in blocks[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + block
    return text.translate(FULL_WIDTH) if draw(st.booleans()) else text


def digits_of(text: str) -> str:
    plain = text.translate(str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx"))
    return "".join(char for char in plain if char.isdigit() or char in "Xx*")


def assert_masked(number: str, before: str, shown: str, after: str) -> None:
    masked = mask_personal_data(before + shown + after)
    assert masked.startswith(before)
    assert masked.endswith(after)
    middle = masked[len(before) : len(masked) - len(after)]
    assert number not in digits_of(middle)
    assert middle.count("*") >= 4
    assert len(middle) == len(shown)  # starred in place: the writer's spacing stays


@given(mobiles, st.data(), contexts, endings)
def test_a_mobile_however_written_is_masked(mobile, data, before, after):
    assert_masked(mobile, before, data.draw(written(mobile)), after)


@given(mobiles, st.data(), st.sampled_from(["+86 ", "+86-", "+86", "86 "]))
def test_a_mobile_with_the_country_code_is_masked(mobile, data, code):
    assert_masked(mobile, "电话" + code, data.draw(written(mobile)), "")


@given(id_numbers, st.data(), contexts, endings)
def test_an_id_number_however_written_is_masked(id_number, data, before, after):
    assert_masked(id_number, before, data.draw(written(id_number)), after)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("139 1234 5678", "139 **** 5678"),
        ("139-1234-5678", "139-****-5678"),
        ("１３９１２３４５６７８", "１３９****５６７８"),
        ("5305 0219 9001 0112 34", "5305 **** **** **12 34"),
        ("0875-2123456", "0875-***3456"),
        ("(0875) 212 3456", "(0875) *** 3456"),
        ("010 1234 5678", "010 **** 5678"),
        ("卡号 6222 0212 3456 7890 128", "卡号 6222 **** **** ***0 128"),
        ("139 1234 5678 138 8765 4321", "139 **** 5678 138 **** 4321"),
    ],
)
def test_common_renderings_are_masked_in_place(text, masked):
    assert mask_personal_data(text) == masked


case_numbers = st.builds(
    lambda region, day, sequence: f"{region}{day:%Y%m%d}{sequence:05d}",
    st.sampled_from(REGIONS),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(1, 99999),
)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))
ordinary = st.one_of(
    case_numbers,
    case_numbers.map(lambda number: f"MD{number[:14]}{number[-4:]}"),
    moments.map(lambda moment: f"{moment:%Y-%m-%d %H:%M}"),
    moments.map(lambda moment: f"{moment:%Y年%m月%d日}"),
    moments.map(lambda moment: f"{moment:%Y.%m.%d}"),
    st.integers(0, 10**6).map(lambda amount: f"{amount}元"),
    st.decimals(0, 10**6, places=2).map(lambda amount: f"{amount}元"),
    st.integers(1, 999).map(lambda count: f"{count}户"),
    st.sampled_from(["楼上漏水", "井盖缺失", "路灯不亮", "第3条", "0.5米", "v1.2.3"]),
)
joints = st.sampled_from(["，", "。", "；", " 于 ", "、", "：", "\n"])


@given(st.lists(st.tuples(ordinary, joints), min_size=1, max_size=6))
def test_dates_amounts_and_case_numbers_are_left_alone(parts):
    text = "".join(token + joint for token, joint in parts)
    assert mask_personal_data(text) == text


def test_numbers_glued_to_letters_are_codes_not_personal_data():
    text = "摘要 a53050219900101123Xb，序列号 SN13912345678"
    assert mask_personal_data(text) == text
