"""`scanroom patient`: list digital patients and build one to files (NIfTI labels, material table, truth, PNG)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Digital patients and QA phantoms: list them, build one to NIfTI + truth JSON + preview.", no_args_is_help=True
)


def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code=2)


@app.command("list")
def list_cmd(
    lesions: Annotated[bool, typer.Option("--lesions", help="List lesion types instead of patients.")] = False,
) -> None:
    """List patient/phantom ids (kind, regions, description) or lesion types."""
    from scanroom.physics.patients import list_lesion_types, list_patients

    if lesions:
        for t in list_lesion_types():
            typer.echo(f"{t.lesion_id:20s} {'/'.join(t.regions):16s} {t.size_mm:g} mm  {t.description}")
        return
    for p in list_patients():
        regions = ",".join(p.regions) if p.regions else "-"
        typer.echo(f"{p.patient_id:14s} {p.kind:10s} {regions:55s} {p.description}")


@app.command("build")
def build_cmd(
    patient_id: Annotated[str, typer.Argument(help="Patient or phantom id (see `list`).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (created).")],
    region: Annotated[
        str | None, typer.Option("--region", help="head, neck, chest, abdomen, pelvis, hand, knee, whole-body")
    ] = None,
    size: Annotated[float | None, typer.Option("--size", help="Water-equivalent diameter of the abdomen, cm.")] = None,
    lesion: Annotated[list[str] | None, typer.Option("--lesion", help="TYPE[:key=value,...], repeatable.")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    voxel_mm: Annotated[float, typer.Option("--voxel-mm", help="Isotropic voxel size, 0.5-4 mm.")] = 2.0,
    breathing_phase: Annotated[float, typer.Option("--breathing-phase", help="0 exhale ... 0.5 inhale.")] = 0.0,
    partial_volume: Annotated[
        int,
        typer.Option(
            "--partial-volume",
            help="Supersample edge voxels n x n x n (2-4) and write partial_volume.npz; 0 = off.",
        ),
    ] = 0,
) -> None:
    """Build a patient and write labels.nii.gz, materials.json/.csv, truth.json and preview.png."""
    try:
        import nibabel as nib
        import numpy as np
        from PIL import Image

        from scanroom.physics.materials import ct_number_hu, get_material
        from scanroom.physics.patients import LesionSpec, build_patient
        from scanroom.physics.preview import three_view

        specs = [LesionSpec.parse(s) for s in (lesion or [])]
        ph = build_patient(
            patient_id,
            region=region,
            voxel_mm=voxel_mm,
            size_cm=size,
            lesions=specs,
            seed=seed,
            breathing_phase=breathing_phase,
            partial_volume=partial_volume,
        )
    except (ValueError, KeyError) as exc:  # bad input: one clear line, exit code 2
        _fail(str(exc).strip("'\""))
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
        # NIfTI is RAS: array (z, y, x) LPS -> (x, y, z) with x and y negated in the affine
        dz, dy, dx = ph.voxel_mm
        ox, oy, oz = ph.origin_mm
        affine = np.array([[-dx, 0, 0, -ox], [0, -dy, 0, -oy], [0, 0, dz, oz], [0, 0, 0, 1]], dtype=float)
        img = nib.Nifti1Image(np.ascontiguousarray(ph.labels.transpose(2, 1, 0)), affine)
        img.header.set_xyzt_units("mm")
        nib.save(img, out / "labels.nii.gz")
        for t in ph.lesions:
            m = nib.Nifti1Image(np.ascontiguousarray(t.mask.transpose(2, 1, 0).astype(np.uint8)), affine)
            nib.save(m, out / f"lesion-{t.instance}-{t.lesion_id}.nii.gz")
        rows = []
        for lab, mat_id in sorted(ph.label_materials.items()):
            mat = get_material(mat_id)
            rows.append(
                {
                    "label": lab,
                    "structure": ph.label_names[lab],
                    "material": mat_id,
                    "density_g_cm3": mat.density_g_cm3,
                    "hu_70kev": round(ct_number_hu(mat_id), 1),
                }
            )
        (out / "materials.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
        with (out / "materials.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        truth = {
            "patient_id": ph.phantom_id,
            "description": ph.description,
            "seed": seed,
            "region": region,
            "voxel_mm": list(ph.voxel_mm),
            "origin_mm_lps": list(ph.origin_mm),
            "shape_zyx": list(ph.shape),
            "coordinate_system": "LPS; array axes (z, y, x)",
            "lesions": [
                {
                    "instance": t.instance,
                    "lesion_id": t.lesion_id,
                    "organ": t.organ,
                    "material": t.material,
                    "center_mm_lps": list(t.center_mm),
                    "size_mm": t.size_mm,
                    "voxels": int(t.mask.sum()),
                    "mask_file": f"lesion-{t.instance}-{t.lesion_id}.nii.gz",
                    "params": t.params,
                }
                for t in ph.lesions
            ],
        }
        if ph.partial_volume is not None:
            pv = ph.partial_volume
            truth["partial_volume"] = {
                "file": "partial_volume.npz",
                "samples_per_voxel": pv.samples,
                "mixed_voxels": len(pv.index),
                "layout": "index: flat C-order index into labels (z, y, x); labels/fractions: (n, k) per mixed voxel",
            }
            np.savez_compressed(
                out / "partial_volume.npz",
                index=pv.index,
                labels=pv.labels,
                fractions=pv.fractions,
                shape_zyx=np.array(ph.shape),
            )
        (out / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
        Image.fromarray(three_view(ph)).save(out / "preview.png")
    except OSError as exc:
        _fail(f"cannot write to {out}: {exc.strerror or exc}")
        return
    typer.echo(f"{ph.phantom_id}: {ph.shape} voxels of {ph.voxel_mm[0]:g} mm, {len(ph.lesions)} lesion(s) -> {out}")
