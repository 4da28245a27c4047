import json
import logging
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.errors import Invalid
from civicgrid.masking import (
    PersonalDataFilter,
    install_log_masking,
    mask_id_number,
    mask_name,
    mask_personal_data,
    mask_phone,
)
from civicgrid.registry.protection import (
    DEVELOPMENT_KEY_FILE,
    FieldCipher,
    Keyring,
    load_keyring,
    read_keyring,
    save_keyring,
)
from civicgrid.settings import Settings

ID_NUMBER = "530502199001011234"
MOBILE = "13812345678"
KEYRING = Keyring.fresh()


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(KEYRING)


@given(plaintext=st.text(), field=st.text(min_size=1), context=st.text())
def test_any_text_decrypts_to_itself(plaintext, field, context):
    cipher = FieldCipher(KEYRING)
    token = cipher.encrypt(plaintext, field=field, context=context)
    assert cipher.decrypt(token, field=field, context=context) == plaintext


def test_the_same_value_encrypts_differently_each_time(cipher):
    first = cipher.encrypt(ID_NUMBER, field="id_number", context="person-1")
    second = cipher.encrypt(ID_NUMBER, field="id_number", context="person-1")
    assert first != second
    assert ID_NUMBER.encode() not in first


def test_a_token_moved_to_another_field_does_not_decrypt(cipher):
    token = cipher.encrypt(MOBILE, field="phone", context="person-1")
    with pytest.raises(Invalid) as error:
        cipher.decrypt(token, field="id_number", context="person-1")
    assert error.value.code == "registry_token_unreadable"


def test_a_token_moved_to_another_record_does_not_decrypt(cipher):
    token = cipher.encrypt(MOBILE, field="phone", context="person-1")
    with pytest.raises(Invalid, match="registry_token_unreadable"):
        cipher.decrypt(token, field="phone", context="person-2")


def test_field_and_context_cannot_trade_characters(cipher):
    token = cipher.encrypt(MOBILE, field="ab", context="c")
    with pytest.raises(Invalid, match="registry_token_unreadable"):
        cipher.decrypt(token, field="a", context="bc")


@given(
    position=st.integers(min_value=0, max_value=48), flip=st.integers(min_value=1, max_value=255)
)
def test_any_changed_byte_is_refused(position, flip):
    cipher = FieldCipher(KEYRING)
    token = bytearray(cipher.encrypt(ID_NUMBER, field="id_number", context="person-1"))
    token[position] ^= flip
    with pytest.raises(Invalid) as error:
        cipher.decrypt(bytes(token), field="id_number", context="person-1")
    assert error.value.code in {"registry_token_unreadable", "registry_key_unknown"}


def test_a_truncated_token_is_refused(cipher):
    token = cipher.encrypt(ID_NUMBER, field="id_number", context="person-1")
    with pytest.raises(Invalid, match="registry_token_unreadable"):
        cipher.decrypt(token[:20], field="id_number", context="person-1")


def test_a_token_from_another_keyring_is_refused(cipher):
    token = FieldCipher(Keyring.fresh()).encrypt(ID_NUMBER, field="id_number", context="p")
    with pytest.raises(Invalid, match="registry_token_unreadable"):
        cipher.decrypt(token, field="id_number", context="p")


def test_the_refusal_is_a_translated_message(cipher):
    with pytest.raises(Invalid) as error:
        cipher.decrypt(b"\x01\x00\x01" + bytes(37), field="id_number", context="p")
    assert "解密" in error.value.message("zh-CN")
    assert "decrypted" in error.value.message("en")


def test_rotation_keeps_every_value_readable():
    first = Keyring.fresh()
    old_token = FieldCipher(first).encrypt(ID_NUMBER, field="id_number", context="p")

    rotated = first.with_new_key()
    during = FieldCipher(rotated)
    assert rotated.current_key_id == 2
    assert during.decrypt(old_token, field="id_number", context="p") == ID_NUMBER
    new_token = during.reencrypt(old_token, field="id_number", context="p")
    assert during.key_id_of(new_token) == 2
    assert during.reencrypt(new_token, field="id_number", context="p") == new_token

    after = FieldCipher(rotated.without_key(1))
    assert after.decrypt(new_token, field="id_number", context="p") == ID_NUMBER
    with pytest.raises(Invalid) as error:
        after.decrypt(old_token, field="id_number", context="p")
    assert (error.value.code, error.value.params) == ("registry_key_unknown", {"key_id": 1})


def test_a_keyring_never_shows_its_keys():
    assert repr(Keyring.fresh()) == "Keyring()"


def test_the_last_key_cannot_be_removed():
    with pytest.raises(Invalid, match="registry_last_key"):
        Keyring.fresh().without_key(1)


def test_rotation_keeps_the_blind_index():
    keyring = Keyring.fresh()
    before = FieldCipher(keyring).blind_index(ID_NUMBER, field="id_number")
    after = FieldCipher(keyring.with_new_key().without_key(1))
    assert after.blind_index(ID_NUMBER, field="id_number") == before


@given(value=st.text())
def test_the_blind_index_is_deterministic_and_16_bytes(value):
    index = FieldCipher(KEYRING).blind_index(value, field="phone")
    assert len(index) == 16
    assert FieldCipher(KEYRING).blind_index(value, field="phone") == index


def test_the_blind_index_differs_per_field_value_and_keyring(cipher):
    index = cipher.blind_index(MOBILE, field="phone")
    assert cipher.blind_index(MOBILE, field="emergency_phone") != index
    assert cipher.blind_index("13812345679", field="phone") != index
    assert FieldCipher(Keyring.fresh()).blind_index(MOBILE, field="phone") != index


def test_a_keyring_survives_its_file_with_owner_only_access(tmp_path):
    path = tmp_path / "keys.json"
    keyring = Keyring.fresh().with_new_key()
    save_keyring(path, keyring)
    assert read_keyring(path) == keyring
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_development_makes_a_private_keyring_once(tmp_path):
    settings = Settings(environment="development", data_dir=tmp_path)
    keyring = load_keyring(settings)
    path = tmp_path / DEVELOPMENT_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring(settings) == keyring
    assert [p.name for p in tmp_path.iterdir()] == [DEVELOPMENT_KEY_FILE]


def test_keys_can_come_from_the_environment(tmp_path, monkeypatch):
    keyring = Keyring.fresh()
    monkeypatch.setenv("CIVICGRID_REGISTRY_KEYS", keyring.to_json())
    assert load_keyring(Settings(environment="production", secret_key="x" * 40)) == keyring


def test_a_configured_key_file_is_used(tmp_path):
    path = tmp_path / "elsewhere.json"
    keyring = Keyring.fresh()
    save_keyring(path, keyring)
    settings = Settings(environment="production", secret_key="x" * 40, registry_key_file=path)
    assert load_keyring(settings) == keyring


def test_production_refuses_to_make_up_a_key(tmp_path):
    settings = Settings(environment="production", secret_key="x" * 40, data_dir=tmp_path)
    with pytest.raises(Invalid) as error:
        load_keyring(settings)
    assert error.value.code == "registry_key_missing"
    assert "CIVICGRID_REGISTRY_KEY_FILE" in error.value.message("zh-CN")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"index_key": "AAAA"}',
        json.dumps({"encryption_keys": {}, "index_key": "A" * 44}),
        json.dumps({"encryption_keys": {"1": "c2hvcnQ="}, "index_key": "A" * 44}),
        json.dumps({"encryption_keys": {"0": "A" * 44}, "index_key": "A" * 44}),
        json.dumps({"encryption_keys": {"x": "A" * 44}, "index_key": "A" * 44}),
        json.dumps({"encryption_keys": {"1": 5}, "index_key": "A" * 44}),
    ],
)
def test_a_malformed_keyring_is_refused_with_its_source(text):
    with pytest.raises(Invalid) as error:
        Keyring.from_json(text, source="keys.json")
    assert (error.value.code, error.value.params) == (
        "registry_keyring_invalid",
        {"source": "keys.json"},
    )


def test_a_missing_key_file_is_refused(tmp_path):
    with pytest.raises(Invalid, match="registry_keyring_invalid"):
        read_keyring(tmp_path / "absent.json")


def test_masks_keep_only_the_ends():
    assert mask_id_number(ID_NUMBER) == "5305**********1234"
    assert mask_id_number("53050219900101123X") == "5305**********123X"
    assert mask_phone(MOBILE) == "138****5678"
    assert mask_phone("1234567") == "*******"
    assert mask_id_number("") == ""


@given(digits=st.text(alphabet="0123456789", min_size=18, max_size=18))
def test_an_id_mask_shows_eight_digits_at_most(digits):
    masked = mask_id_number(digits)
    assert len(masked) == 18
    assert masked.count("*") == 10


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张**"),
        ("张三丰", "张**"),
        ("欧阳修", "欧阳**"),
        ("欧阳", "欧**"),
        (" 李 ", "李**"),
        ("", ""),
    ],
)
def test_names_show_the_surname_only(name, masked):
    assert mask_name(name) == masked


def test_free_text_is_masked_where_numbers_stand_alone():
    text = f"身份证{ID_NUMBER}，电话 +86 {MOBILE}，又 {MOBILE}。摘要 a{ID_NUMBER}b 不变"
    assert mask_personal_data(text) == (
        f"身份证5305**********1234，电话 +86 138****5678，又 138****5678。摘要 a{ID_NUMBER}b 不变"
    )


def test_an_id_number_is_not_masked_as_a_phone():
    assert mask_personal_data("11010519491231002X") == "1101**********002X"


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("civicgrid.test", logging.INFO, __file__, 1, message, args, None)


def test_the_log_filter_masks_message_and_arguments():
    record = _record("person %s phone %s", ID_NUMBER, MOBILE)
    assert PersonalDataFilter().filter(record)
    assert record.getMessage() == "person 5305**********1234 phone 138****5678"


def test_the_log_filter_masks_a_traceback():
    try:
        raise ValueError(f"bad row {ID_NUMBER}")
    except ValueError as exc:
        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "failed", None, (ValueError, exc, exc.__traceback__)
        )
    PersonalDataFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "5305**********1234" in formatted
    assert ID_NUMBER not in formatted


def test_the_log_filter_drops_arguments_of_a_broken_format():
    record = _record("phone %s and %s", MOBILE)
    assert PersonalDataFilter().filter(record)
    assert record.getMessage() == "phone %s and %s"


def test_installed_masking_covers_child_loggers(caplog):
    root = logging.getLogger()
    masking = install_log_masking()
    try:
        logging.getLogger("civicgrid.registry.import").warning("row for %s", MOBILE)
    finally:
        root.removeFilter(masking)
        for handler in root.handlers:
            handler.removeFilter(masking)
    assert caplog.messages == ["row for 138****5678"]
    assert MOBILE not in caplog.text
