"""The instrument universe: the bundled list of real instruments, or a user's CSV override.

CSV columns: ``stock_code,stock_name,prev_close[,is_st][,list_date][,suspended]`` (API.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from qmtdesk.domain.errors import DeskError, UnknownInstrument
from qmtdesk.domain.instruments import Instrument, classify

_TRUE = {"1", "true", "yes", "y", "t"}


class UniverseFileError(DeskError):
    """A universe CSV that cannot be read."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(
            "INVALID_UNIVERSE_FILE",
            f"证券列表文件有误（{where}）：{problem}",
            f"Invalid universe file ({where}): {problem}",
            http_status=422,
        )


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def parse_universe(text: str, source: str = "universe.csv") -> list[Instrument]:
    """Parse universe CSV text into instruments; raise :class:`UniverseFileError` on a bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    required = {"stock_code", "stock_name", "prev_close"}
    if reader.fieldnames is None or not required <= {f.strip() for f in reader.fieldnames}:
        raise UniverseFileError(source, "需要列 stock_code,stock_name,prev_close")
    instruments: list[Instrument] = []
    for line_no, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        where = f"{source}:{line_no}"
        try:
            prev_close = Decimal(row["prev_close"])
            list_date = date.fromisoformat(row["list_date"]) if row.get("list_date") else None
        except (InvalidOperation, ValueError) as exc:
            raise UniverseFileError(where, str(exc)) from exc
        if prev_close <= 0:
            raise UniverseFileError(where, "prev_close 必须大于0")
        try:
            instrument = Instrument.create(
                row["stock_code"],
                row["stock_name"],
                prev_close,
                is_st=_flag(row.get("is_st")),
                list_date=list_date,
                suspended=_flag(row.get("suspended")),
            )
        except DeskError as exc:
            raise UniverseFileError(where, exc.message_zh) from exc
        instruments.append(instrument)
    return instruments


def bundled_universe() -> list[Instrument]:
    """The instruments shipped with qmtdesk."""
    text = resources.files("qmtdesk.market").joinpath("data/universe.csv").read_text("utf-8")
    return parse_universe(text, "bundled universe.csv")


def load_universe(path: Path | None) -> list[Instrument]:
    """The CSV at ``path`` when given, else the bundled list."""
    if path is None:
        return bundled_universe()
    return parse_universe(path.read_text("utf-8"), str(path))


class Universe:
    """Instruments by code, with search by code or name. Reference prices change at each day roll."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        self._by_code: dict[str, Instrument] = {i.code: i for i in instruments}

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def find(self, code: str) -> Instrument | None:
        """The instrument of a normalised code, or ``None``."""
        return self._by_code.get(code)

    def get(self, raw_code: str) -> Instrument:
        """The instrument of a code in any spelling; INVALID_STOCK_CODE or UNKNOWN_INSTRUMENT otherwise."""
        code = classify(raw_code).code
        instrument = self._by_code.get(code)
        if instrument is None:
            raise UnknownInstrument(code)
        return instrument

    def set_prev_close(self, code: str, prev_close: Decimal) -> None:
        """Replace the reference price of ``code`` (at the day roll)."""
        self._by_code[code] = replace(self._by_code[code], prev_close=prev_close)

    def put(self, instrument: Instrument) -> None:
        """Add ``instrument`` or replace the one with its code (live data refreshes names and suspension)."""
        self._by_code[instrument.code] = instrument

    def search(self, query: str, limit: int = 20) -> list[Instrument]:
        """Instruments whose code starts with or whose name contains ``query``; exact code first."""
        q = query.strip().upper()
        if not q:
            return list(self._by_code.values())[:limit]
        digits = q.split(".")[0].removeprefix("SH").removeprefix("SZ").removeprefix("BJ")
        hits = [i for i in self._by_code.values() if (digits and i.code.startswith(digits)) or q in i.name.upper()]
        hits.sort(key=lambda i: (not i.code.startswith(digits), i.code))
        return hits[:limit]
