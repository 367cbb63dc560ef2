"""Reader-study files: every malformed input is refused with a message naming the line; valid ones round-trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scanroom.reading.observer import FrocData, ObserverDataError, RatingData, load

DATA = Path(__file__).resolve().parents[1] / "data" / "observer"
HEADER = "reader,treatment,case,truth,rating\n"


def study_rows():
    """2 readers × 1 treatment × 4 cases (2 normal, 2 abnormal)."""
    return [(r, "A", c, t, v) for r in ("r1", "r2") for c, t, v in (("n1", 0, 1), ("n2", 0, 2), ("a1", 1, 3),
                                                                      ("a2", 1, 4))]


def write(tmp_path: Path, text: str, name: str = "study.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def csv_text(rows) -> str:
    return HEADER + "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def test_from_rows_and_csv_agree(tmp_path):
    data = RatingData.from_rows(study_rows())
    assert data.readers == ["r1", "r2"] and data.cases == ["n1", "n2", "a1", "a2"]
    np.testing.assert_array_equal(data.truth, [0, 0, 1, 1])
    from_file = load(write(tmp_path, csv_text(study_rows())))
    np.testing.assert_array_equal(from_file.ratings, data.ratings)
    assert RatingData.from_rows(data.to_rows()).ratings.tolist() == data.ratings.tolist()
    # Columns in another order, extra columns and a blank line are fine.
    text = "rating,case,note,truth,treatment,reader\n" + "".join(
        f"{v},{c},x,{t},{tm},{r}\n" for r, tm, c, t, v in study_rows()) + "\n"
    np.testing.assert_array_equal(load(write(tmp_path, text, "other.csv")).ratings, data.ratings)


@pytest.mark.parametrize("text,message", [
    ("reader,treatment,case,rating\n1,1,1,2\n", "study.csv line 1: header must name the columns .* missing truth"),
    (HEADER + "r1,A,n1,0,high\n", "study.csv line 2: rating 'high' is not a number"),
    (HEADER + "r1,A,n1,0,nan\n", "study.csv line 2: rating 'nan' is not a finite number"),
    (HEADER + "r1,A,n1,2,1\n", "study.csv line 2: truth must be 0 .* got '2'"),
    (HEADER + "r1,A,n1,0,1\n\nr1,A,n1,1,2\n", "study.csv line 4: case n1 has truth 1 here but 0 on line 2"),
    (HEADER + "r1,A,n1,0,1\nr1,A,n1,0,2\n", "study.csv line 3: reader r1, treatment A, case n1 was already read on "
                                            "line 2"),
    (HEADER + "r1,A,n1,0,1,9\n", "study.csv line 2: expected 5 values, got 6"),
    (HEADER, "study.csv: no readings after the header"),
    ("", "study.csv: the file is empty"),
])
def test_malformed_csv_names_the_line(tmp_path, text, message):
    with pytest.raises(ObserverDataError, match=message):
        load(write(tmp_path, text))


def test_incomplete_and_too_small_designs(tmp_path):
    rows = study_rows()[:-1]  # reader r2 never read case a2
    with pytest.raises(ObserverDataError, match="reader r2, treatment A has no reading of case a2"):
        load(write(tmp_path, csv_text(rows)))
    few = [row for row in study_rows() if row[2] != "a2"]
    with pytest.raises(ObserverDataError, match="at least 2 normal and 2 abnormal cases, has 2 normal and 1 abnormal"):
        RatingData.from_rows(few)
    with pytest.raises(ObserverDataError, match="unknown file type .txt"):
        load(write(tmp_path, "x", "study.txt"))
    with pytest.raises(ObserverDataError, match="no such file"):
        load(tmp_path / "missing.csv")


def test_jafroc_excel_reads_truth_and_marks():
    froc = load(DATA / "vandyke_jafroc.xlsx")
    assert isinstance(froc, FrocData)
    assert froc.readers == ["0", "1", "2", "3", "4"] and froc.treatments == ["0", "1"]
    assert len(froc.lesion_ids) == 45 and np.allclose(froc.lesion_weight, 1.0)
    roc = load(DATA / "vandyke_roc.csv")
    # Same cases, same truth and — through the highest-rating rule — the same ratings as the long-form CSV.
    order = [froc.cases.index(c) for c in roc.cases]
    np.testing.assert_array_equal(froc.truth[order], roc.truth)
    np.testing.assert_array_equal(froc.to_roc().ratings[:, :, order], roc.ratings)


def make_workbook(path: Path, truth, fp, tp, fp_title="FP") -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "TRUTH"
    for row in [("CaseID", "LesionID", "Weight"), *truth]:
        ws.append(row)
    ws = book.create_sheet(fp_title)
    for row in [("ReaderID", "ModalityID", "CaseID", "FP_Rating"), *fp]:
        ws.append(row)
    ws = book.create_sheet("TP")
    for row in [("ReaderID", "ModalityID", "CaseID", "LesionID", "TP_Rating"), *tp]:
        ws.append(row)
    book.save(path)
    return path


TRUTH = [(1, 0, 0), (2, 0, 0), (3, 1, 0.7), (3, 2, 0.3), (4, 1, 0)]


def test_excel_froc_with_weights_and_several_marks(tmp_path):
    path = make_workbook(tmp_path / "froc.xlsx", TRUTH, fp=[("R1", "M1", 1, 2), ("R1", "M1", 1, 3), ("R1", "M1", 3, 5)],
                         tp=[("R1", "M1", 3, 1, 4), ("R1", "M1", 4, 1, 2)], fp_title="NL")
    froc = load(path)
    assert froc.nl[0][0][0] == [2, 3] and froc.nl[0][0][2] == [5]
    np.testing.assert_allclose(froc.lesion_weight, [0.7, 0.3, 1.0])
    np.testing.assert_array_equal(froc.ll[0, 0], [4, -np.inf, 2])
    np.testing.assert_array_equal(froc.nl_max()[0, 0], [3, -np.inf, 5, -np.inf])


@pytest.mark.parametrize("fp,tp,message", [
    ([("R1", "M1", 9, 2)], [], "froc.xlsx sheet FP line 2: case 9 is not in the TRUTH sheet"),
    ([], [("R1", "M1", 3, 5, 2)], "froc.xlsx sheet TP line 2: case 3 has no lesion 5 in the TRUTH sheet"),
    ([("R1", "M1", 1, "x")], [], "froc.xlsx sheet FP line 2: rating 'x' is not a number"),
    ([], [("R1", "M1", 3, 1, 2), ("R1", "M1", 3, 1, 4)], "sheet TP line 3: reader R1, treatment M1 marked this "
                                                         "lesion already on line 2"),
])
def test_malformed_excel_names_sheet_and_line(tmp_path, fp, tp, message):
    with pytest.raises(ObserverDataError, match=message):
        load(make_workbook(tmp_path / "froc.xlsx", TRUTH, fp=fp, tp=tp))


def test_excel_missing_sheet_and_not_a_workbook(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "TRUTH"
    book.save(tmp_path / "nosheets.xlsx")
    with pytest.raises(ObserverDataError, match="no sheet named FP or NL"):
        load(tmp_path / "nosheets.xlsx")
    (tmp_path / "fake.xlsx").write_text("not a zip")
    with pytest.raises(ObserverDataError, match="fake.xlsx: not a readable Excel workbook"):
        load(tmp_path / "fake.xlsx")
