"""Device keys: random secrets stored only as mosquitto's own password hash.

The hash is PBKDF2-HMAC-SHA512 written as mosquitto 2.0 writes it
(`$7$<iterations>$<base64 salt>$<base64 hash>`), so the same stored value
checks a key sent over HTTP and goes unchanged into the broker's password
file, where it checks the key a device connects to MQTT with.
"""

import base64
import hashlib
import hmac
import secrets

KEY_MARK = "cgd_"
# mosquitto_passwd's own count. The keys are 256 random bits, so stretching is not
# what protects them; a higher count would only slow every HTTP alarm down.
ITERATIONS = 101
SALT_BYTES = 12


def new_key() -> str:
    return f"{KEY_MARK}{secrets.token_urlsafe(32)}"


def hash_key(raw: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", raw.encode(), salt, iterations)
    return f"$7${iterations}${_b64(salt)}${_b64(digest)}"


def key_matches(stored: str, raw: str) -> bool:
    """Whether `raw` is the key behind `stored`; a malformed stored value matches nothing."""
    parts = stored.split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
    except ValueError:
        return False
    candidate = hash_key(raw, salt=salt, iterations=int(parts[2]))
    return hmac.compare_digest(candidate, stored)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
