"""CT physics core: third-generation fan-beam scanner, polyenergetic projection, FBP/iterative
reconstruction, artefacts, topogram, tube-current modulation, dose indices and contrast phases.

Pipeline (the scanner layer wires it; nothing here does I/O):

1. :class:`FanBeamGeometry`, :class:`Acquisition` (axial/helical, collimation, pitch, bowtie).
2. :func:`trace_slice` — per-material path lengths of every ray feeding one image (once per patient/z).
3. :func:`make_beam` + :func:`render` — Beer–Lambert over energy, quantum + electronic noise, log
   (fast: re-run for every kVp/mA change); :func:`bh_correct` — water beam-hardening correction.
4. :func:`fbp_fan` / :func:`os_sart_fan` and :func:`to_hu` — or :func:`reconstruct` for all of step 4.
5. :func:`acquire_topogram` / :func:`sizes` (WED, AAPM 220) → :func:`plan_tube_current`.
6. :func:`scan_dose` — CTDIvol, DLP, SSDE, effective dose, UK DRLs.
"""

from scanroom.physics.ct.artifacts import (
    breathing_schedule,
    channel_gains,
    cupping_hu,
    ring_amplitude_hu,
    roi_mask,
    roi_stats,
    starved_fraction,
    streak_sd_hu,
    truncated_fraction,
    with_cylinders,
)
from scanroom.physics.ct.contrast import (
    ENHANCEMENT_HU,
    PHASES,
    enhanced_material,
    hu_per_mg_ml,
    phase_label_materials,
    with_contrast,
)
from scanroom.physics.ct.dose import (
    CTDI,
    K_FACTORS,
    UK_NDRL_2022,
    DoseReport,
    ctdi100,
    ctdi_vol,
    dlp_mgy_cm,
    effective_dose_msv,
    k_factor,
    scan_dose,
    ssde_factor,
)
from scanroom.physics.ct.geometry import BOWTIES, Acquisition, Collimation, FanBeamGeometry, bowtie_al_mm
from scanroom.physics.ct.projector import (
    KVP_CHOICES,
    Beam,
    DetectorModel,
    SlicePaths,
    bh_correct,
    make_beam,
    render,
    render_with_quanta,
    trace_slice,
)
from scanroom.physics.ct.recon import (
    KERNELS,
    backproject_parallel,
    fbp_fan,
    fbp_parallel,
    filter_parallel,
    forward_project_fan,
    image_grid,
    kernel_mtf50,
    kernel_window,
    os_sart_fan,
    rebin_fan_to_parallel,
    to_hu,
)
from scanroom.physics.ct.scan import CTImage, Reconstruction, image_from_paths, reconstruct, scan_slice
from scanroom.physics.ct.scout import ScoutSizes, Topogram, acquire_topogram, check_range, sizes
from scanroom.physics.ct.tube_current import (
    STRENGTHS,
    TubeCurrentPlan,
    angular_factor,
    fixed_plan,
    longitudinal_mas,
    plan_tube_current,
)

__all__ = [
    "Acquisition",
    "BOWTIES",
    "Beam",
    "CTDI",
    "CTImage",
    "Collimation",
    "DetectorModel",
    "DoseReport",
    "ENHANCEMENT_HU",
    "FanBeamGeometry",
    "KERNELS",
    "KVP_CHOICES",
    "K_FACTORS",
    "PHASES",
    "Reconstruction",
    "STRENGTHS",
    "ScoutSizes",
    "SlicePaths",
    "Topogram",
    "TubeCurrentPlan",
    "UK_NDRL_2022",
    "acquire_topogram",
    "angular_factor",
    "backproject_parallel",
    "bh_correct",
    "bowtie_al_mm",
    "breathing_schedule",
    "channel_gains",
    "check_range",
    "ctdi100",
    "ctdi_vol",
    "cupping_hu",
    "dlp_mgy_cm",
    "effective_dose_msv",
    "enhanced_material",
    "fbp_fan",
    "fbp_parallel",
    "filter_parallel",
    "fixed_plan",
    "forward_project_fan",
    "hu_per_mg_ml",
    "image_from_paths",
    "image_grid",
    "k_factor",
    "kernel_mtf50",
    "kernel_window",
    "longitudinal_mas",
    "make_beam",
    "os_sart_fan",
    "phase_label_materials",
    "plan_tube_current",
    "rebin_fan_to_parallel",
    "reconstruct",
    "render",
    "render_with_quanta",
    "ring_amplitude_hu",
    "roi_mask",
    "roi_stats",
    "scan_dose",
    "scan_slice",
    "sizes",
    "ssde_factor",
    "starved_fraction",
    "streak_sd_hu",
    "to_hu",
    "trace_slice",
    "truncated_fraction",
    "with_contrast",
    "with_cylinders",
]
