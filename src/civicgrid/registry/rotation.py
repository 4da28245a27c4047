"""Re-encrypting every protected value under a new key."""

from sqlalchemy.orm import Session

from civicgrid.errors import Invalid
from civicgrid.registry.models import Housing, Organisation, Resident
from civicgrid.registry.protection import (
    DEVELOPMENT_KEY_FILE,
    FieldCipher,
    load_keyring,
    read_keyring,
    save_keyring,
)
from civicgrid.registry.sealing import SEALED_COLUMNS, reseal_tokens
from civicgrid.settings import Settings


def rotate_keys(db: Session, settings: Settings, *, add_key: bool = True) -> int:
    """Re-encrypt every protected value under the newest key; returns how many changed.

    With a key file (or the development file) a new key is added to it first,
    unless `add_key` is False: that is how a run stopped halfway is resumed,
    since tokens already under the newest key are left as they are. Keys given
    in CIVICGRID_REGISTRY_KEYS cannot be written here: the operator puts the
    keyring with its new key in the environment, restarts, and runs this with
    `add_key` False. Blind indexes use their own key and do not change. Commits
    after each batch, so a long run holds no long transaction.
    """
    if add_key:
        _add_key(settings)
    cipher = FieldCipher(load_keyring(settings))
    return sum(
        _reseal_column(db, cipher, model, column, field) for model, column, field in SEALED_COLUMNS
    )


def _add_key(settings: Settings) -> None:
    if settings.registry_keys:
        raise Invalid("registry_rotate_environment_keys")
    path = settings.registry_key_file or settings.data_dir / DEVELOPMENT_KEY_FILE
    load_keyring(settings)  # creates the development file when there is none yet
    save_keyring(path, read_keyring(path).with_new_key())


def _reseal_column(
    db: Session,
    cipher: FieldCipher,
    model: type[Resident | Housing | Organisation],
    column: str,
    field: str,
) -> int:
    return reseal_tokens(db, cipher, model, column, context=model.uid, field=field)
