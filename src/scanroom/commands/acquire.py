"""``scanroom acquire MODALITY``: scan a digital patient from the command line.

Writes the DICOM objects and ``summary.json`` into ``--out``; ``--json`` prints the same summary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from scanroom.scanner.base import PatientRequest, ProtocolError, apply_settings
from scanroom.scanner.registry import acquire, get_scanner

app = typer.Typer(help="Acquire images in the scan room (writes DICOM and summary.json).", no_args_is_help=True)

SetOption = typer.Option(None, "--set", help="Override a protocol setting, key=value (repeatable).")
LesionOption = typer.Option(None, "--lesion", help="Insert a lesion, TYPE[:key=value,…] (repeatable).")


def _patient(patient_id: str, lesions: list[str] | None, size_cm: float | None, seed: int) -> PatientRequest:
    try:
        return PatientRequest(patient_id=patient_id, size_cm=size_cm, lesions=tuple(lesions or ()), seed=seed)
    except ValueError as exc:
        raise ProtocolError(str(exc).splitlines()[-1]) from None


def _run(modality: str, preset: str, patient_id: str, settings: list[str] | None, lesions: list[str] | None,
         size_cm: float | None, seed: int, out: Path, as_json: bool) -> None:
    scanner = get_scanner(modality)
    patient = _patient(patient_id, lesions, size_cm, seed)
    protocol = apply_settings(scanner.preset(preset), settings or [])
    _write(_acquire(modality, patient, protocol, preset, as_json), patient, modality, preset, out, as_json)


def _acquire(modality: str, patient: PatientRequest, protocol: Any, preset: str, as_json: bool) -> Any:
    if as_json:
        acquisition = acquire(modality, patient, protocol)
    else:
        with typer.progressbar(length=100, label=f"{modality} {preset}", file=sys.stderr) as bar:
            done = [0]

            def progress(fraction: float, message: str) -> None:
                step = int(100 * fraction) - done[0]
                if step > 0:
                    bar.update(step)
                    done[0] += step

            acquisition = acquire(modality, patient, protocol, progress=progress)
    return acquisition


def _write(acquisition: Any, patient: PatientRequest, modality: str, preset: str, out: Path, as_json: bool) -> None:
    from scanroom.dicom.export import to_datasets, write_files
    from scanroom.practice.scans import study_context

    datasets = to_datasets(acquisition, study_context(patient, description=f"{modality.upper()} {preset}"))
    files = write_files(datasets, out)
    from scanroom.dicom.seg import truth_segmentation

    segmentation = truth_segmentation(acquisition, datasets)
    if segmentation is not None:  # the inserted lesions' ground truth, as DICOM SEG
        seg_path = out / "SEG-truth.dcm"
        segmentation.save_as(seg_path, enforce_file_format=True)
        files.append(seg_path)
    summary = {**acquisition.summary(), "preset": preset, "files": [p.name for p in files]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        dose = ", ".join(f"{k}={v:.4g}" for k, v in acquisition.dose.items())
        typer.echo(f"Wrote {len(files)} DICOM files and summary.json to {out}")
        typer.echo(f"Dose: {dose}")
        for item in acquisition.feedback:
            typer.echo(f"  [{item.severity}] {item.message}")


@app.command("xray")
def acquire_xray(patient: str = typer.Option(..., "--patient", help="Digital patient id (scanroom patient list)."),
                 exam: str = typer.Option(..., "--exam", help="chest-pa, chest-lat, abdomen-ap, pelvis-ap, hand-pa, "
                                          "hand-oblique, wrist-pa, wrist-lat, knee-ap, knee-lat, skull-pa, lumbar-ap"),
                 settings: list[str] | None = SetOption, lesion: list[str] | None = LesionOption,
                 size_cm: float | None = typer.Option(None, help="Patient water-equivalent diameter (cm)."),
                 seed: int = typer.Option(0, min=0, help="Patient seed (lesion placement)."),
                 out: Path = typer.Option(..., "--out", help="Output folder."),
                 as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout.")) -> None:
    """Expose a radiograph: kVp, mAs, SID, grid, field, centring, rotation… via --set key=value."""
    _run("xray", exam, patient, settings, lesion, size_cm, seed, out, as_json)


@app.command("mri")
def acquire_mri(patient: str = typer.Option(..., "--patient", help="Digital patient id (scanroom patient list)."),
                sequence: str | None = typer.Option(None, "--sequence", help="t1-se, t2-tse, pd-tse, flair, stir, "
                                                    "t1-gre, t2star-gre, bssfp, dwi (interactive engine)"),
                region: str | None = typer.Option(None, "--region", help="head, neck, chest, abdomen, pelvis, knee"),
                engine: str = typer.Option("interactive", "--engine", help="interactive or bloch"),
                seq: Path | None = typer.Option(None, "--seq", help="Pulseq .seq file (with --engine bloch)."),
                settings: list[str] | None = SetOption, lesion: list[str] | None = LesionOption,
                size_cm: float | None = typer.Option(None, help="Patient water-equivalent diameter (cm)."),
                seed: int = typer.Option(0, min=0, help="Patient seed (lesion placement)."),
                out: Path = typer.Option(..., "--out", help="Output folder."),
                as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout.")) -> None:
    """Run an MR sequence: TR, TE, TI, flip, ETL, FOV, matrix, slices, NEX, bandwidth… via --set key=value;
    or a Pulseq file on the Bloch engine (--engine bloch --seq FILE.seq)."""
    if engine == "bloch":
        from scanroom.scanner.mri import bloch_acquire

        if seq is None or not seq.is_file():
            raise ProtocolError("--engine bloch needs --seq FILE.seq (an existing Pulseq file).")
        person = _patient(patient, lesion, size_cm, seed)
        b0 = next((float(s.split("=", 1)[1]) for s in settings or [] if s.startswith("b0_t=")), 1.5)
        _write(bloch_acquire(person, str(seq), region=region or "head", b0_t=b0), person, "mri", "bloch", out,
               as_json)
        return
    if engine != "interactive":
        raise ProtocolError("--engine must be interactive or bloch.")
    if not sequence:
        raise ProtocolError("--sequence is required with the interactive engine.")
    extra = [f"region={region}"] if region else []
    _run("mri", sequence, patient, extra + list(settings or []), lesion, size_cm, seed, out, as_json)


@app.command("ct")
def acquire_ct(patient: str = typer.Option(..., "--patient", help="Digital patient id (scanroom patient list)."),
               protocol: str = typer.Option(..., "--protocol", help="head-routine, chest-routine, ctpa, "
                                            "abdomen-pelvis-pv, lung-screening-ld, qa-water, qa-ctdi, qa-phantom"),
               settings: list[str] | None = SetOption, lesion: list[str] | None = LesionOption,
               size_cm: float | None = typer.Option(None, help="Patient water-equivalent diameter (cm)."),
               seed: int = typer.Option(0, min=0, help="Patient seed (lesion placement)."),
               out: Path = typer.Option(..., "--out", help="Output folder."),
               as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout.")) -> None:
    """Scan a CT protocol: kvp, mas, pitch, collimation_rows, slice_mm, kernel, fov_mm, tcm… via --set."""
    _run("ct", protocol, patient, settings, lesion, size_cm, seed, out, as_json)
