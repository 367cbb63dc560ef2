"""`scanroom observer analyze`: a readable report, JSON, and one-line errors with exit status 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanroom.cli import main
from tests.test_cli import run_cli

DATA = Path(__file__).resolve().parents[1] / "data" / "observer"


def test_report_on_van_dyke(capsys):
    assert main(["observer", "analyze", str(DATA / "vandyke_roc.csv")]) == 0
    out = capsys.readouterr().out
    assert "Obuchowski-Rockette" in out and "5 readers, 2 treatments, 114 cases (69 normal, 45 abnormal)" in out
    assert "F = 4.456319, df = (1, 15.2597), p = 0.051666" in out
    assert "chi-square = 5.475953" in out and "0.91964573" in out


def test_dbm_json(capsys):
    assert main(["observer", "analyze", str(DATA / "vandyke_roc.csv"), "--method", "dbm", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "dbm" and result["fom"] == "auc"
    assert result["mean_squares"]["TRC"] == pytest.approx(0.0399716, abs=5e-8)
    assert result["analyses"]["FRRC"]["p_value"] == pytest.approx(0.02103497, abs=5e-9)


def test_wafroc_from_the_jafroc_workbook(capsys):
    assert main(["observer", "analyze", str(DATA / "vandyke_jafroc.xlsx"), "--fom", "wafroc", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["fom"] == "wafroc" and result["foms"][0][0] == pytest.approx(0.91964573, abs=5e-9)


@pytest.mark.parametrize("content,args,message", [
    ("reader,treatment,case,truth,rating\nr1,A,1,0,x\n", (), "scanroom: error: bad.csv line 2: rating 'x' is not "
                                                             "a number"),
    ("reader,treatment,case,truth,rating\nr1,A,1,0,1\n", ("--method", "anova"), "scanroom: error: --method must be"),
    ("reader,treatment,case,truth,rating\nr1,A,1,0,1\nr1,A,2,0,2\nr1,A,3,1,3\nr1,A,4,1,2\n", ("--fom", "wafroc"),
     "scanroom: error: the wAFROC figure of merit needs marks with lesion identities"),
])
def test_bad_input_is_one_line_and_exit_1(tmp_path, capsys, content, args, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    assert main(["observer", "analyze", str(bad), *args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message)


def test_real_command_line(tmp_path):
    """Through the interpreter, as a person runs it: good file → report; malformed file → one line, exit 1."""
    good = run_cli("observer", "analyze", str(DATA / "franken_roc.csv"), cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert "4 readers, 2 treatments, 100 cases" in good.stdout
    bad = tmp_path / "broken.csv"
    bad.write_text("reader,treatment,case,truth,rating\nr1,A,1,0,1\nr1,A,1,1,2\n")
    result = run_cli("observer", "analyze", str(bad), cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == "scanroom: error: broken.csv line 3: case 1 has truth 1 here but 0 on line 2"
