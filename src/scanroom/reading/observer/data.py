"""Reader-study data: ROC ratings (long-form CSV or in-memory rows) and FROC marks (JAFROC Excel, scored cases).

* :class:`RatingData` — one rating per reader × treatment × case, with the case truth (0 normal, 1 abnormal).
  Read from the long form ``reader,treatment,case,truth,rating`` (one row per reading, as the Iowa OR-DBM MRMC
  software and the MRMCaov package take it), or from rows in memory (:meth:`RatingData.from_rows`).
* :class:`FrocData` — marks with lesion identities: per reader × treatment × case the non-lesion
  localisation (NL) ratings, and per lesion its lesion-localisation (LL) rating (−∞ when not marked), with
  lesion weights. Read from the JAFROC Excel format (sheets TRUTH, FP or NL, TP or LL; Chakraborty,
  RJafroc ``DfReadDataFile``) or built from scored :class:`~scanroom.reading.scoring.CaseOutcome` lists.

Every problem is an :class:`ObserverDataError` (a ``ValueError``) whose message names the file, sheet and
line, so the CLI can print it as one line.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from scanroom.reading.scoring import CaseOutcome

__all__ = ["ObserverDataError", "RatingData", "FrocData", "load"]

REQUIRED_COLUMNS = ("reader", "treatment", "case", "truth", "rating")


class ObserverDataError(ValueError):
    """A reader-study file or table that cannot be analysed; the message says where and why."""


def _label(value: Any) -> str:
    """Reader/treatment/case labels as text; spreadsheet numbers 3.0 become "3"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: Any, what: str, where: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ObserverDataError(f"{where}: {what} {value!r} is not a number") from None
    if not math.isfinite(out):
        raise ObserverDataError(f"{where}: {what} {value!r} is not a finite number")
    return out


def _truth(value: Any, where: str) -> int:
    text = _label(value)
    if text not in ("0", "1"):
        raise ObserverDataError(f"{where}: truth must be 0 (normal) or 1 (abnormal), got {value!r}")
    return int(text)


@dataclass
class RatingData:
    """ROC ratings ``ratings[t, r, c]`` for treatments × readers × cases, and ``truth[c]`` (0/1)."""

    readers: list[str]
    treatments: list[str]
    cases: list[str]
    truth: NDArray[np.int_]
    ratings: NDArray[np.float64]
    source: str = "rows"

    def __post_init__(self) -> None:
        t, r, c = len(self.treatments), len(self.readers), len(self.cases)
        if self.ratings.shape != (t, r, c):
            raise ObserverDataError(f"{self.source}: ratings have shape {self.ratings.shape}, expected {(t, r, c)}")
        n1 = int(np.sum(self.truth == 1))
        n0 = c - n1
        if n0 < 2 or n1 < 2:
            raise ObserverDataError(
                f"{self.source}: needs at least 2 normal and 2 abnormal cases, has {n0} normal and {n1} abnormal")

    @property
    def n_normal(self) -> int:
        return int(np.sum(self.truth == 0))

    @property
    def n_abnormal(self) -> int:
        return int(np.sum(self.truth == 1))

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[Any]], *, source: str = "rows",
                  line_numbers: Sequence[int] | None = None) -> RatingData:
        """Readings ``(reader, treatment, case, truth, rating)``; checks what :meth:`from_csv` checks.

        Messages call row i "line i + 1", or ``line_numbers[i]`` when given (a file's own line numbers).
        """
        readers: dict[str, int] = {}
        treatments: dict[str, int] = {}
        cases: dict[str, int] = {}
        truth: list[int] = []
        truth_line: list[int] = []
        cells: dict[tuple[int, int, int], float] = {}
        cell_line: dict[tuple[int, int, int], int] = {}
        for i, row in enumerate(rows):
            line = line_numbers[i] if line_numbers is not None else i + 1
            where = f"{source} line {line}"
            if len(row) != 5:
                raise ObserverDataError(f"{where}: expected 5 values (reader, treatment, case, truth, rating), "
                                        f"got {len(row)}")
            reader, treatment, case = (_label(v) for v in row[:3])
            for name, value in (("reader", reader), ("treatment", treatment), ("case", case)):
                if not value:
                    raise ObserverDataError(f"{where}: {name} is empty")
            tr = _truth(row[3], where)
            rating = _number(row[4], "rating", where)
            r = readers.setdefault(reader, len(readers))
            t = treatments.setdefault(treatment, len(treatments))
            if case not in cases:
                cases[case] = len(cases)
                truth.append(tr)
                truth_line.append(line)
            c = cases[case]
            if truth[c] != tr:
                raise ObserverDataError(f"{where}: case {case} has truth {tr} here but {truth[c]} on line "
                                        f"{truth_line[c]}")
            key = (t, r, c)
            if key in cells:
                raise ObserverDataError(f"{where}: reader {reader}, treatment {treatment}, case {case} was already "
                                        f"read on line {cell_line[key]}")
            cells[key] = rating
            cell_line[key] = line
        if not cells:
            raise ObserverDataError(f"{source}: no readings")
        shape = (len(treatments), len(readers), len(cases))
        ratings = np.full(shape, np.nan)
        for (t, r, c), reading in cells.items():
            ratings[t, r, c] = reading
        if len(cells) != ratings.size:
            t, r, c = (int(v[0]) for v in np.nonzero(np.isnan(ratings)))
            names = list(treatments), list(readers), list(cases)
            raise ObserverDataError(
                f"{source}: reader {names[1][r]}, treatment {names[0][t]} has no reading of case {names[2][c]} "
                f"(every reader must read every case in every treatment; {ratings.size - len(cells)} readings "
                "missing)")
        return cls(readers=list(readers), treatments=list(treatments), cases=list(cases),
                   truth=np.asarray(truth, dtype=int), ratings=ratings, source=source)

    @classmethod
    def from_csv(cls, path: str | Path) -> RatingData:
        """Long-form CSV with the header ``reader,treatment,case,truth,rating`` (columns in any order)."""
        path = Path(path)
        name = path.name
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                lines = list(csv.reader(handle))
        except OSError as exc:
            raise ObserverDataError(f"{name}: cannot read ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise ObserverDataError(f"{name}: not a UTF-8 text file") from None
        if not lines:
            raise ObserverDataError(f"{name}: the file is empty")
        header = [h.strip().lower() for h in lines[0]]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ObserverDataError(f"{name} line 1: header must name the columns {','.join(REQUIRED_COLUMNS)}; "
                                    f"missing {', '.join(missing)}")
        index = [header.index(c) for c in REQUIRED_COLUMNS]
        rows = []
        for n, cells in enumerate(lines[1:], start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise ObserverDataError(f"{name} line {n}: expected {len(header)} values, got {len(cells)}")
            rows.append((n, [cells[i] for i in index]))
        if not rows:
            raise ObserverDataError(f"{name}: no readings after the header")
        return cls.from_rows([cells for _, cells in rows], source=name, line_numbers=[n for n, _ in rows])

    def to_rows(self) -> list[tuple[str, str, str, int, float]]:
        """Long-form rows, treatment-major (the inverse of :meth:`from_rows`)."""
        return [(rd, tm, cs, int(self.truth[c]), float(self.ratings[t, r, c]))
                for t, tm in enumerate(self.treatments) for r, rd in enumerate(self.readers)
                for c, cs in enumerate(self.cases)]


# ----- FROC ----------------------------------------------------------------------------------------------


@dataclass
class FrocData:
    """FROC marks for treatments × readers × cases.

    ``nl[t][r][c]`` lists the NL ratings on case c; ``ll[t, r, l]`` is the rating of lesion l (−∞ when the
    reader did not localise it); ``lesion_case[l]`` is its case index, ``lesion_weight[l]`` its wAFROC weight
    (summing to 1 within each abnormal case), ``lesion_ids[l]`` its label. A case is abnormal when it has at
    least one lesion.
    """

    readers: list[str]
    treatments: list[str]
    cases: list[str]
    lesion_case: NDArray[np.intp]
    lesion_ids: list[str]
    lesion_weight: NDArray[np.float64]
    nl: list[list[list[list[float]]]]
    ll: NDArray[np.float64]
    source: str = "marks"
    reading_seconds: dict[tuple[int, int, int], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t, r, c = len(self.treatments), len(self.readers), len(self.cases)
        if self.ll.shape != (t, r, len(self.lesion_ids)):
            raise ObserverDataError(f"{self.source}: LL ratings have shape {self.ll.shape}")
        n1 = self.n_abnormal
        if c - n1 < 2 or n1 < 2:
            raise ObserverDataError(f"{self.source}: needs at least 2 normal and 2 abnormal cases, has {c - n1} "
                                    f"normal and {n1} abnormal")

    @property
    def truth(self) -> NDArray[np.int_]:
        out = np.zeros(len(self.cases), dtype=int)
        out[self.lesion_case] = 1
        return out

    @property
    def n_abnormal(self) -> int:
        return int(np.unique(self.lesion_case).size)

    @property
    def n_normal(self) -> int:
        return len(self.cases) - self.n_abnormal

    def nl_max(self) -> NDArray[np.float64]:
        """Highest NL rating per treatment × reader × case, −∞ where the case has no NL mark."""
        out = np.full((len(self.treatments), len(self.readers), len(self.cases)), -np.inf)
        for t, per_reader in enumerate(self.nl):
            for r, per_case in enumerate(per_reader):
                for c, marks in enumerate(per_case):
                    if marks:
                        out[t, r, c] = max(marks)
        return out

    def to_roc(self) -> RatingData:
        """Inferred ROC ratings: the highest rating of any mark on the case, −∞ when unmarked (RJafroc's
        ``DfFroc2Roc``, the "highest rating" inferred ROC rating; Chakraborty 2017)."""
        rating = self.nl_max()
        for l_idx, c in enumerate(self.lesion_case):
            rating[:, :, c] = np.maximum(rating[:, :, c], self.ll[:, :, l_idx])
        return RatingData(readers=self.readers, treatments=self.treatments, cases=self.cases, truth=self.truth,
                          ratings=rating, source=self.source)

    @classmethod
    def from_outcomes(cls, outcomes: Mapping[tuple[str, str], Sequence[CaseOutcome]],
                      lesions: Mapping[str, Sequence[Any]] | None = None) -> FrocData:
        """Scored cases per (reader, treatment): every reader × treatment must have scored the same cases.

        Lesions come from the outcomes themselves (hits + missed); ``lesions`` (case id → Lesion list) may be
        given to fix their order. Lesion weights follow :func:`scanroom.reading.scoring.lesion_weights`.
        """
        from scanroom.reading.scoring import lesion_weights

        if not outcomes:
            raise ObserverDataError("no scored cases")
        readers: dict[str, int] = {}
        treatments: dict[str, int] = {}
        for reader, treatment in outcomes:
            readers.setdefault(str(reader), len(readers))
            treatments.setdefault(str(treatment), len(treatments))
        first_key = next(iter(outcomes))
        case_ids = [o.case_id for o in outcomes[first_key]]
        if len(set(case_ids)) != len(case_ids):
            raise ObserverDataError(f"reader {first_key[0]}, treatment {first_key[1]}: a case is scored twice")
        case_index = {cid: i for i, cid in enumerate(case_ids)}
        # Lesion table from the first reader's outcomes (truth is the same for everyone).
        lesion_table: list[tuple[int, Any]] = []
        for o in outcomes[first_key]:
            case_lesions = list(lesions[o.case_id]) if lesions is not None and o.case_id in lesions else (
                sorted([les for _, les in o.hits] + list(o.missed), key=lambda les: les.lesion_id))
            lesion_table.extend((case_index[o.case_id], les) for les in case_lesions)
        key_of = {(c, les.lesion_id): i for i, (c, les) in enumerate(lesion_table)}
        weights = np.zeros(len(lesion_table))
        by_case: dict[int, list[int]] = {}
        for i, (c, _) in enumerate(lesion_table):
            by_case.setdefault(c, []).append(i)
        for idxs in by_case.values():
            weights[idxs] = lesion_weights([lesion_table[i][1] for i in idxs])
        t_n, r_n, c_n = len(treatments), len(readers), len(case_ids)
        ll = np.full((t_n, r_n, len(lesion_table)), -np.inf)
        nl: list[list[list[list[float]]]] = [[[[] for _ in range(c_n)] for _ in range(r_n)] for _ in range(t_n)]
        seconds: dict[tuple[int, int, int], float] = {}
        for (reader, treatment), outs in outcomes.items():
            r, t = readers[str(reader)], treatments[str(treatment)]
            if sorted(o.case_id for o in outs) != sorted(case_ids):
                raise ObserverDataError(f"reader {reader}, treatment {treatment}: scored cases differ from reader "
                                        f"{first_key[0]}, treatment {first_key[1]} (every reader must read every case)")
            for o in outs:
                c = case_index[o.case_id]
                nl[t][r][c] = [float(m.rating) for m in o.false_positives]
                for mark, les in o.hits:
                    key = (c, les.lesion_id)
                    if key not in key_of:
                        raise ObserverDataError(f"case {o.case_id}: lesion {les.lesion_id} is not in the truth of "
                                                f"reader {first_key[0]}, treatment {first_key[1]}")
                    ll[t, r, key_of[key]] = float(mark.rating)
                if o.reading_seconds is not None:
                    seconds[(t, r, c)] = float(o.reading_seconds)
        return cls(readers=list(readers), treatments=list(treatments), cases=case_ids,
                   lesion_case=np.asarray([c for c, _ in lesion_table], dtype=np.intp),
                   lesion_ids=[str(les.lesion_id) for _, les in lesion_table], lesion_weight=weights, nl=nl, ll=ll,
                   source="scored cases", reading_seconds=seconds)

    @classmethod
    def from_excel(cls, path: str | Path) -> FrocData:
        """The JAFROC Excel workbook: TRUTH (CaseID, LesionID, Weight), FP or NL (ReaderID, ModalityID, CaseID,
        rating) and TP or LL (ReaderID, ModalityID, CaseID, LesionID, rating). LesionID 0 marks a normal case;
        weights of 0 on an abnormal case mean equal weights (RJafroc ``DfReadDataFile`` conventions)."""
        import zipfile

        import openpyxl

        path = Path(path)
        name = path.name
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise ObserverDataError(f"{name}: not a readable Excel workbook ({exc})") from None
        try:
            sheets = {ws.title.strip().upper(): ws for ws in book.worksheets}

            def rows_of(*titles: str) -> tuple[str, list[tuple[int, tuple[Any, ...]]]]:
                for title in titles:
                    if title in sheets:
                        ws = sheets[title]
                        ws.reset_dimensions()  # some writers store a wrong sheet size
                        out = [(i, tuple(row)) for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
                               if any(v is not None and str(v).strip() for v in row)]
                        return title, out
                raise ObserverDataError(f"{name}: no sheet named {' or '.join(titles)}")

            truth_title, truth_rows = rows_of("TRUTH")
            fp_title, fp_rows = rows_of("FP", "NL")
            tp_title, tp_rows = rows_of("TP", "LL")
        finally:
            book.close()
        return _froc_from_sheets(name, (truth_title, truth_rows), (fp_title, fp_rows), (tp_title, tp_rows))


def _columns(name: str, title: str, rows: list[tuple[int, tuple[Any, ...]]], wanted: dict[str, tuple[str, ...]]
             ) -> tuple[dict[str, int], list[tuple[int, tuple[Any, ...]]]]:
    if not rows:
        raise ObserverDataError(f"{name} sheet {title}: empty")
    line, header = rows[0]
    names = [str(h).strip().lower().replace("_", "").replace(" ", "") if h is not None else "" for h in header]
    where: dict[str, int] = {}
    for key, options in wanted.items():
        for option in options:
            if option in names:
                where[key] = names.index(option)
                break
        else:
            raise ObserverDataError(f"{name} sheet {title} line {line}: no column {options[0]} in the header")
    return where, rows[1:]


def _cell(row: tuple[Any, ...], i: int) -> Any:
    return row[i] if i < len(row) else None


def _froc_from_sheets(name: str, truth_sheet: tuple[str, list[tuple[int, tuple[Any, ...]]]],
                      fp_sheet: tuple[str, list[tuple[int, tuple[Any, ...]]]],
                      tp_sheet: tuple[str, list[tuple[int, tuple[Any, ...]]]]) -> FrocData:
    title, rows = truth_sheet
    col, body = _columns(name, title, rows, {"case": ("caseid",), "lesion": ("lesionid",), "weight": ("weight",)})
    cases: dict[str, int] = {}
    lesions: dict[tuple[int, str], int] = {}
    lesion_line: dict[tuple[int, str], int] = {}
    weights: list[float] = []
    normal: set[int] = set()
    for line, row in body:
        where = f"{name} sheet {title} line {line}"
        case = _label(_cell(row, col["case"]))
        if not case or case == "None":
            raise ObserverDataError(f"{where}: CaseID is empty")
        lesion = _label(_number(_cell(row, col["lesion"]), "LesionID", where))
        weight_cell = _cell(row, col["weight"])
        weight = 0.0 if weight_cell is None else _number(weight_cell, "Weight", where)
        if weight < 0:
            raise ObserverDataError(f"{where}: Weight must not be negative")
        c = cases.setdefault(case, len(cases))
        if lesion == "0":
            normal.add(c)
            continue
        key = (c, lesion)
        if key in lesions:
            raise ObserverDataError(f"{where}: case {case} lesion {lesion} already listed on line {lesion_line[key]}")
        lesions[key] = len(weights)
        lesion_line[key] = line
        weights.append(weight)
    both = normal & {c for c, _ in lesions}
    if both:
        case = list(cases)[min(both)]
        raise ObserverDataError(f"{name} sheet {title}: case {case} is listed both as normal (LesionID 0) and with "
                                "lesions")
    lesion_case = np.asarray([c for c, _ in lesions], dtype=np.intp)
    w = np.asarray(weights)
    for c in np.unique(lesion_case):
        idx = np.nonzero(lesion_case == c)[0]
        total = w[idx].sum()
        w[idx] = 1.0 / idx.size if total == 0 else w[idx] / total

    def ids(row: tuple[Any, ...], colmap: dict[str, int], where: str) -> tuple[str, str, int]:
        reader = _label(_cell(row, colmap["reader"]))
        treatment = _label(_cell(row, colmap["treatment"]))
        case = _label(_cell(row, colmap["case"]))
        if reader in ("", "None") or treatment in ("", "None"):
            raise ObserverDataError(f"{where}: ReaderID and ModalityID must not be empty")
        if case not in cases:
            raise ObserverDataError(f"{where}: case {case} is not in the TRUTH sheet")
        return reader, treatment, cases[case]

    readers: dict[str, int] = {}
    treatments: dict[str, int] = {}
    fp_title, fp_rows = fp_sheet
    fcol, fbody = _columns(name, fp_title, fp_rows, {"reader": ("readerid",), "treatment": ("modalityid",
                           "treatmentid"), "case": ("caseid",), "rating": ("nlrating", "fprating", "rating")})
    tp_title, tp_rows = tp_sheet
    tcol, tbody = _columns(name, tp_title, tp_rows, {"reader": ("readerid",), "treatment": ("modalityid",
                           "treatmentid"), "case": ("caseid",), "lesion": ("lesionid",),
                           "rating": ("llrating", "tprating", "rating")})
    fp_marks: list[tuple[str, str, int, float]] = []
    for line, row in fbody:
        where = f"{name} sheet {fp_title} line {line}"
        reader, treatment, c = ids(row, fcol, where)
        fp_marks.append((reader, treatment, c, _number(_cell(row, fcol["rating"]), "rating", where)))
        readers.setdefault(reader, len(readers))
        treatments.setdefault(treatment, len(treatments))
    tp_marks: list[tuple[str, str, int, float, int, str]] = []
    for line, row in tbody:
        where = f"{name} sheet {tp_title} line {line}"
        reader, treatment, c = ids(row, tcol, where)
        lesion = _label(_number(_cell(row, tcol["lesion"]), "LesionID", where))
        if (c, lesion) not in lesions:
            raise ObserverDataError(f"{where}: case {list(cases)[c]} has no lesion {lesion} in the TRUTH sheet")
        tp_marks.append((reader, treatment, lesions[(c, lesion)], _number(_cell(row, tcol["rating"]), "rating",
                                                                          where), line, where))
        readers.setdefault(reader, len(readers))
        treatments.setdefault(treatment, len(treatments))
    if not readers:
        raise ObserverDataError(f"{name}: no marks in sheets {fp_title} and {tp_title}")
    t_n, r_n, c_n = len(treatments), len(readers), len(cases)
    nl: list[list[list[list[float]]]] = [[[[] for _ in range(c_n)] for _ in range(r_n)] for _ in range(t_n)]
    for reader, treatment, c, rating in fp_marks:
        nl[treatments[treatment]][readers[reader]][c].append(rating)
    ll = np.full((t_n, r_n, len(weights)), -np.inf)
    seen: dict[tuple[int, int, int], int] = {}
    for reader, treatment, lesion_index, rating, line, where in tp_marks:
        cell = (treatments[treatment], readers[reader], lesion_index)
        if cell in seen:
            raise ObserverDataError(f"{where}: reader {reader}, treatment {treatment} marked this lesion already on "
                                    f"line {seen[cell]}")
        seen[cell] = line
        ll[cell] = rating
    return FrocData(readers=list(readers), treatments=list(treatments), cases=list(cases), lesion_case=lesion_case,
                    lesion_ids=[les for _, les in lesions], lesion_weight=w, nl=nl, ll=ll, source=name)


def load(path: str | Path) -> RatingData | FrocData:
    """Read a reader study by its extension: ``.csv`` (long-form ROC ratings) or ``.xlsx`` (JAFROC marks)."""
    path = Path(path)
    if not path.exists():
        raise ObserverDataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return RatingData.from_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return FrocData.from_excel(path)
    raise ObserverDataError(f"{path.name}: unknown file type {suffix or '(none)'}; expected .csv or .xlsx")
