"""X-ray radiography physics core: spectra, exact ray casting, polyenergetic projection, detector, scatter.

Pipeline (the scanner layer wires it; nothing here does I/O except loading the bundled spectrum table):

1. :func:`tube_spectrum` (or :class:`SpectrumCache` for exact SpekPy spectra) — photons/mm²/mAs at 1 m.
2. :func:`path_lengths` — per-material path lengths (cm) through the label volume, once per pose.
3. :func:`render_primary` — Beer–Lambert over energy bins for any kVp/filter/mAs, milliseconds-fast.
4. :func:`scatter_signal` and :class:`AntiScatterGrid` — scatter and its rejection.
5. :func:`detect` — quantum + electronic noise and MTF; :func:`focal_spot_blur` for geometric unsharpness.
"""

from scanroom.physics.xray.attenuation import mu_en_over_rho_air_cm2_g, mu_linear_cm
from scanroom.physics.xray.detector import (
    apply_mtf,
    detect,
    electronic_noise,
    focal_spot_blur,
    focal_spot_sigma_mm,
    presampled_mtf,
    quantum_noise,
)
from scanroom.physics.xray.geometry import FlatPanelGeometry
from scanroom.physics.xray.project import (
    GeometryMaps,
    PrimaryImage,
    Scintillator,
    geometry_maps,
    render_primary,
    render_primary_numpy,
)
from scanroom.physics.xray.raycast import (
    NO_MATERIAL,
    material_lut,
    material_volume,
    path_lengths,
    path_lengths_numpy,
)
from scanroom.physics.xray.scatter import (
    TYPICAL_GRIDS,
    AntiScatterGrid,
    grid_primary_transmission,
    scatter_sigma_mm,
    scatter_signal,
    slab_spr,
    spr_broad_beam,
    water_equivalent_thickness_cm,
)
from scanroom.physics.xray.spectrum import (
    Spectrum,
    SpectrumCache,
    air_kerma_ugy_per_mas,
    filtered,
    fluence_per_air_kerma,
    heel_tungsten_excess_cm,
    hvl_mm_al,
    mean_energy_kev,
    spekpy_spectra,
    spekpy_spectrum,
    tube_spectrum,
)

__all__ = [
    "AntiScatterGrid",
    "FlatPanelGeometry",
    "GeometryMaps",
    "NO_MATERIAL",
    "PrimaryImage",
    "Scintillator",
    "Spectrum",
    "SpectrumCache",
    "TYPICAL_GRIDS",
    "air_kerma_ugy_per_mas",
    "apply_mtf",
    "detect",
    "electronic_noise",
    "filtered",
    "fluence_per_air_kerma",
    "focal_spot_blur",
    "focal_spot_sigma_mm",
    "geometry_maps",
    "grid_primary_transmission",
    "heel_tungsten_excess_cm",
    "hvl_mm_al",
    "material_lut",
    "material_volume",
    "mean_energy_kev",
    "mu_en_over_rho_air_cm2_g",
    "mu_linear_cm",
    "path_lengths",
    "path_lengths_numpy",
    "presampled_mtf",
    "quantum_noise",
    "render_primary",
    "render_primary_numpy",
    "scatter_signal",
    "scatter_sigma_mm",
    "slab_spr",
    "spekpy_spectra",
    "spekpy_spectrum",
    "spr_broad_beam",
    "tube_spectrum",
    "water_equivalent_thickness_cm",
]
