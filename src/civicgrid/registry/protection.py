"""Personal data at rest: field encryption and blind indexes (masking is civicgrid.masking).

ID numbers and phone numbers are stored only as AES-256-GCM tokens, looked up
only through a keyed hash (blind index), shown only masked unless a reveal is
granted and audited elsewhere, and never written unmasked to application logs
(PIPL art. 51: encryption and de-identification as security measures).
"""

import base64
import binascii
import dataclasses
import hmac
import json
import os
import struct
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from civicgrid.errors import Invalid
from civicgrid.settings import Environment, Settings

TOKEN_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
INDEX_BYTES = 16
DEVELOPMENT_KEY_FILE = "registry-keys.json"
# Version byte, then the id of the key that encrypted: decryption picks the key from
# the token itself, so old tokens keep working while the newest key encrypts.
_HEADER = struct.Struct(">BH")
_MAX_KEY_ID = 0xFFFF
_ENVIRONMENT_SOURCE = "CIVICGRID_REGISTRY_KEYS"


@dataclasses.dataclass(frozen=True)
class Keyring:
    """Encryption keys by id (the highest encrypts, all decrypt) and the blind-index key.

    The index key is separate and never rotates with the encryption keys: a new
    index key would make every stored index unfindable until all rows are rehashed.
    """

    # Kept out of repr so that a keyring in a log line or a traceback shows no key.
    encryption_keys: Mapping[int, bytes] = dataclasses.field(repr=False)
    index_key: bytes = dataclasses.field(repr=False)

    @classmethod
    def fresh(cls) -> "Keyring":
        return cls(encryption_keys={1: os.urandom(KEY_BYTES)}, index_key=os.urandom(KEY_BYTES))

    @property
    def current_key_id(self) -> int:
        return max(self.encryption_keys)

    def with_new_key(self) -> "Keyring":
        """The first step of rotation: new values use the new key, old ones still decrypt."""
        keys = {**self.encryption_keys, self.current_key_id + 1: os.urandom(KEY_BYTES)}
        return Keyring(encryption_keys=keys, index_key=self.index_key)

    def without_key(self, key_id: int) -> "Keyring":
        """The last step of rotation, once every token has been re-encrypted."""
        if set(self.encryption_keys) == {key_id}:
            raise Invalid("registry_last_key", key_id=key_id)
        keys = {kid: key for kid, key in self.encryption_keys.items() if kid != key_id}
        return Keyring(encryption_keys=keys, index_key=self.index_key)

    def to_json(self) -> str:
        keys = {str(kid): _b64(key) for kid, key in sorted(self.encryption_keys.items())}
        return json.dumps({"encryption_keys": keys, "index_key": _b64(self.index_key)}, indent=2)

    @classmethod
    def from_json(cls, text: str, *, source: str) -> "Keyring":
        try:
            data = json.loads(text)
            keys = {_key_id(kid): _key(raw) for kid, raw in data["encryption_keys"].items()}
            index_key = _key(data["index_key"])
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise Invalid("registry_keyring_invalid", source=source) from exc
        if not keys:
            raise Invalid("registry_keyring_invalid", source=source)
        return cls(encryption_keys=keys, index_key=index_key)


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def _key(text: str) -> bytes:
    key = base64.b64decode(text, validate=True)
    if len(key) != KEY_BYTES:
        raise ValueError("a registry key must be 32 bytes (AES-256)")
    return key


def _key_id(text: str) -> int:
    key_id = int(text)
    if not 1 <= key_id <= _MAX_KEY_ID:
        raise ValueError("a key id must lie in 1..65535")
    return key_id


def load_keyring(settings: Settings) -> Keyring:
    """The configured keyring; outside production a fresh one is made on first use.

    Production refuses to guess, like the secret key: a key made up on one
    server would leave every value unreadable on the next.
    """
    if settings.registry_keys:
        return Keyring.from_json(settings.registry_keys, source=_ENVIRONMENT_SOURCE)
    if settings.registry_key_file is not None:
        return read_keyring(settings.registry_key_file)
    if settings.environment is Environment.PRODUCTION:
        raise Invalid("registry_key_missing")
    return _development_keyring(settings.data_dir / DEVELOPMENT_KEY_FILE)


def read_keyring(path: Path) -> Keyring:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid("registry_keyring_invalid", source=str(path)) from exc
    return Keyring.from_json(text, source=str(path))


def save_keyring(path: Path, keyring: Keyring) -> None:
    """Replace the keyring file in one step, readable by its owner only."""
    os.replace(_private_temp_file(path, keyring.to_json()), path)


def _development_keyring(path: Path) -> Keyring:
    """Create the file only if nobody else has: two processes starting at once must
    agree on one key, or values written by the loser become unreadable."""
    if not path.exists():
        temp = _private_temp_file(path, Keyring.fresh().to_json())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return read_keyring(path)


def _private_temp_file(path: Path, text: str) -> Path:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return temp


class FieldCipher:
    """Encrypts single field values and computes their blind indexes with one keyring.

    The associated data binds a token to its field and record: a ciphertext
    copied into another column or row fails to decrypt instead of quietly
    showing one person's number on another's page.
    """

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._ciphers = {kid: AESGCM(key) for kid, key in keyring.encryption_keys.items()}
        self._index_keys: dict[str, bytes] = {}

    def encrypt(self, plaintext: str, *, field: str, context: str) -> bytes:
        """A token: version, key id, a random 96-bit nonce, then ciphertext and tag.

        `context` must be known before the row is stored and never change,
        such as the record's UUID, not an id the database assigns on insert.
        """
        key_id = self._keyring.current_key_id
        header = _HEADER.pack(TOKEN_VERSION, key_id)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(
            nonce, plaintext.encode("utf-8"), _associated(header, field, context)
        )
        return header + nonce + sealed

    def decrypt(self, token: bytes, *, field: str, context: str) -> str:
        key_id = self.key_id_of(token)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise Invalid("registry_key_unknown", key_id=key_id)
        header = token[: _HEADER.size]
        nonce = token[_HEADER.size : _HEADER.size + NONCE_BYTES]
        try:
            plain = cipher.decrypt(
                nonce, token[_HEADER.size + NONCE_BYTES :], _associated(header, field, context)
            )
        except InvalidTag as exc:
            raise Invalid("registry_token_unreadable") from exc
        return plain.decode("utf-8")

    def reencrypt(self, token: bytes, *, field: str, context: str) -> bytes:
        """The token under the newest key; one already there is returned as it is,
        so a rotation run that stops halfway can simply be started again."""
        if self.key_id_of(token) == self._keyring.current_key_id:
            return token
        plaintext = self.decrypt(token, field=field, context=context)
        return self.encrypt(plaintext, field=field, context=context)

    def blind_index(self, normalised: str, *, field: str) -> bytes:
        """A keyed hash for exact lookup: equal values give equal indexes within a field.

        The caller normalises first (the canonical ID number with an upper-case X,
        the bare 11-digit mobile): the index matches exact bytes only. Each field
        has its own derived key, so equal values in two fields cannot be linked.
        """
        digest = hmac.digest(self._field_index_key(field), normalised.encode("utf-8"), "sha256")
        return digest[:INDEX_BYTES]

    def _field_index_key(self, field: str) -> bytes:
        key = self._index_keys.get(field)
        if key is None:
            label = b"civicgrid blind index\x00" + field.encode("utf-8")
            key = self._index_keys[field] = hmac.digest(self._keyring.index_key, label, "sha256")
        return key

    @staticmethod
    def key_id_of(token: bytes) -> int:
        """The key a token was sealed with, read without decrypting (rotation picks
        the rows still under an old key by it)."""
        if len(token) < _HEADER.size + NONCE_BYTES + TAG_BYTES:
            raise Invalid("registry_token_unreadable")
        version, key_id = _HEADER.unpack_from(token)
        if version != TOKEN_VERSION:
            raise Invalid("registry_token_unreadable")
        return int(key_id)


def _associated(header: bytes, field: str, context: str) -> bytes:
    """Header, then the field name with its length, then the context: the length
    keeps ("ab", "c") and ("a", "bc") apart."""
    name = field.encode("utf-8")
    return header + struct.pack(">H", len(name)) + name + context.encode("utf-8")
