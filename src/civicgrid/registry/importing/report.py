"""What an import read, stored and refused, row by row as the clerk sees the file."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from civicgrid.i18n import translate
from civicgrid.spreadsheet import RowError as SheetRowError

MAX_REPORTED_ERRORS = 1000


class ImportKind(StrEnum):
    RESIDENTS = "residents"
    HOUSEHOLDS = "households"
    HOUSING = "housing"
    ORGANISATIONS = "organisations"
    KEY_PLACES = "key_places"


@dataclass(frozen=True)
class RowError(SheetRowError):
    """One problem: row 0 is the file itself; `column` is a column key or ""."""

    column_ids = "registry_import.column.{column}"
    line_id = "registry_import.row_error"


@dataclass
class ImportReport:
    """What an import read, stored and refused.

    `errors` holds the first MAX_REPORTED_ERRORS problems, `error_count` all of
    them; `skipped` counts the rows with a problem, which are never stored.
    """

    kind: str  # an ImportKind, or another domain's kind of file
    file: str
    dry_run: bool = False
    skip_bad_rows: bool = False
    rows_read: int = 0
    imported: int = 0
    skipped: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        """Rows were refused and nothing was stored: the command exits non-zero."""
        return self.error_count > 0 and self.imported == 0

    def add(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.error_count += 1
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(error)

    def lines(self, locale: str) -> list[str]:
        summary = translate(
            "registry_import.summary",
            locale,
            file=self.file,
            kind=self.kind_label(locale),
            read=self.rows_read,
            imported=self.imported,
            skipped=self.skipped,
            errors=self.error_count,
            seconds=f"{self.seconds:.1f}",
        )
        lines = [summary, translate(self._outcome(), locale)]
        lines += [warning.line(locale) for warning in self.warnings]
        lines += [error.line(locale) for error in self.errors]
        if self.error_count > len(self.errors):
            more = self.error_count - len(self.errors)
            lines.append(translate("registry_import.more_errors", locale, count=more))
        return lines

    def kind_label(self, locale: str) -> str:
        return translate(f"registry_import.kind.{self.kind}", locale)

    def _outcome(self) -> str:
        if self.dry_run:
            return (
                "registry_import.checked_with_errors"
                if self.error_count
                else "registry_import.checked"
            )
        if self.refused:
            return "registry_import.refused"
        return "registry_import.stored_skipping" if self.error_count else "registry_import.stored"


def column_label(column: str, locale: str) -> str:
    return translate(f"registry_import.column.{column}", locale)
