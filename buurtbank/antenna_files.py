"""Reading the antenna declarations (antennas/<slug>.toml) into validated AntennaConfig objects.

A partner organisation edits these files by hand, so every error names the file and the field, in the form
"antennas/jette.toml: area.radius_km: Input should be greater than 0", and the service refuses to start with
a broken file rather than running an antenna on half a configuration.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from buurtbank.gazetteer import known_postcodes
from domain.antenna_config import AntennaConfig
from domain.errors import InvalidInput


class AntennaFileError(InvalidInput):
    """An antenna file that cannot be read or does not satisfy AntennaConfig.

    `field` is the dotted path of the first bad field (None for a file-level problem such as bad TOML);
    `problems` lists every "field: message" found, so one run shows all of a file's mistakes.
    """

    def __init__(self, path: Path, problems: Sequence[tuple[str | None, str]]) -> None:
        first_field = problems[0][0] if problems else None
        super().__init__(field=first_field, file=str(path))
        self.path = path
        self.problems = [f"{field}: {message}" if field else message for field, message in problems]

    def __str__(self) -> str:
        return f"{self.path}: " + "; ".join(self.problems)


def _field_path(loc: tuple[int | str, ...]) -> str | None:
    """('circles', 2, 'key') -> 'circles[2].key'; () -> None (a rule about the whole file)."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or None


def _validation_problems(error: ValidationError) -> list[tuple[str | None, str]]:
    return [(_field_path(tuple(item["loc"])), item["msg"]) for item in error.errors()]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message already carries "(at line L, column C)".
        raise AntennaFileError(path, [(None, f"invalid TOML: {exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise AntennaFileError(path, [(None, f"not UTF-8 text: {exc.reason}")]) from exc
    except OSError as exc:
        raise AntennaFileError(path, [(None, f"cannot read file: {exc.strerror or exc}")]) from exc


def load_antenna_file(path: str | Path) -> AntennaConfig:
    """Read and validate one antenna file; AntennaFileError names the file and the field on any problem."""
    path = Path(path)
    data = _read_toml(path)
    try:
        config = AntennaConfig.model_validate(data)
    except ValidationError as exc:
        raise AntennaFileError(path, _validation_problems(exc)) from exc

    # Rules that need more than the model knows: the file name is the antenna's identity (URLs, moderator
    # rights and the database refer to the slug), and the area must use postcodes the gazetteer can place.
    problems: list[tuple[str | None, str]] = []
    if config.slug != path.stem:
        problems.append(("slug", f"{config.slug!r} must equal the file name {path.stem!r}"))
    known = known_postcodes()
    for index, code in enumerate(config.area.postcodes):
        if code not in known:
            problems.append((f"area.postcodes[{index}]", f"{code!r} is not in the Brussels gazetteer"))
    if problems:
        raise AntennaFileError(path, problems)
    return config


def load_antenna_dir(path: str | Path) -> list[AntennaConfig]:
    """Every *.toml antenna in a directory, by file name; the first bad file raises AntennaFileError."""
    directory = Path(path)
    if not directory.is_dir():
        raise AntennaFileError(directory, [(None, "not a directory")])
    configs: list[AntennaConfig] = []
    seen: dict[str, Path] = {}
    # Hidden files are editor leftovers (.jette.toml.swp is filtered by the suffix, .#jette.toml is not).
    for file in sorted(p for p in directory.glob("*.toml") if not p.name.startswith(".")):
        config = load_antenna_file(file)
        # The slug equals the stem, so files of one directory cannot clash today; checked anyway because a
        # duplicate slug would silently merge two antennas downstream if the naming rule ever changes.
        if config.slug in seen:
            clash = f"{config.slug!r} is already used by {seen[config.slug]}"
            raise AntennaFileError(file, [("slug", clash)])
        seen[config.slug] = file
        configs.append(config)
    return configs
