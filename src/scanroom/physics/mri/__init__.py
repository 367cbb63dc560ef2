"""MRI physics core: contrast, acquisition, artifacts, Bloch simulation, Pulseq I/O, RF/PNS safety.

Interactive engine (closed-form contrast + k-space acquisition, milliseconds per slice)::

    from scanroom.physics.mri import SliceGeometry, AcquisitionParams, ArtifactSpec, acquire, default_params
    seq = default_params("flair", 3.0)
    res = acquire(phantom, seq, SliceGeometry(n_slices=20), AcquisitionParams(field_t=3.0, coil="head-8"))
    res.image, res.kspace, res.labels, res.scan_time_s, res.tissue_snr

Bloch engine (isochromats, any block sequence, Pulseq files through :mod:`.pulseq_io`)::

    from scanroom.physics.mri import flash_blocks, simulate, spins_from_labels
    r = simulate(flash_blocks(64, 64, 0.22), spins_from_labels(labels, table, (0.22, 0.22)))
    r.signal, r.kspace  # ADC samples and their k-space trajectory

Safety: :func:`sar_estimate` / :func:`check_sar` (IEC 60601-2-33 modes), :func:`pns_check`.
Nothing here does I/O except :mod:`.pulseq_io`, which reads and writes only paths the caller gives.
"""

from scanroom.physics.mri.artifacts import (
    ArtifactSpec,
    FieldMap,
    MotionSpec,
    chemical_shift_px,
    gibbs_overshoot,
    sphere_dipole_ppm,
    susceptibility_field,
)
from scanroom.physics.mri.bloch import (
    SimResult,
    Spins,
    flatten,
    kspace_trajectory,
    lorentzian_offsets,
    simulate,
    simulate_numpy,
    spins_from_labels,
    spins_from_maps,
)
from scanroom.physics.mri.blocks import (
    ADC,
    Block,
    Gradient,
    RFPulse,
    bssfp_blocks,
    flash_blocks,
    hard_pulse,
    inversion_recovery_blocks,
    sinc_pulse,
    spin_echo_blocks,
    trapezoid,
    trapezoid_area,
)
from scanroom.physics.mri.coils import COILS, coil_sensitivities, sense_g_factor
from scanroom.physics.mri.geometry import SliceGeometry, SlicePlane, slice_planes
from scanroom.physics.mri.kspace import (
    SNR_REF,
    AcquisitionParams,
    MRAcquisition,
    ScanTiming,
    acquire,
    fft2c,
    ifft2c,
    scan_timing,
    snr_water,
    validate_acquisition,
)
from scanroom.physics.mri.safety import (
    LIMITS_W_KG,
    PnsReport,
    RFPulseSpec,
    SarReport,
    acoustic_noise_db,
    b1_rms_ut,
    check_sar,
    pns_check,
    pulses_for_sequence,
    sar_estimate,
)
from scanroom.physics.mri.sequences import (
    SEQUENCE_IDS,
    SequenceParams,
    default_params,
    describe,
    min_te_ms,
    tissue_signal,
    validate_sequence,
)
from scanroom.physics.mri.signal import (
    adc_map,
    bssfp,
    diffusion_weighted,
    ernst_angle,
    inversion_null_ti,
    inversion_recovery,
    spin_echo,
    spoiled_gre,
    turbo_spin_echo,
)
from scanroom.physics.mri.tissue import TissueTable, larmor_hz, tissue_table

__all__ = [
    # contrast
    "SEQUENCE_IDS", "SequenceParams", "default_params", "describe", "min_te_ms", "tissue_signal",
    "validate_sequence", "spin_echo", "turbo_spin_echo", "inversion_recovery", "inversion_null_ti", "spoiled_gre",
    "ernst_angle", "bssfp", "diffusion_weighted", "adc_map", "TissueTable", "tissue_table", "larmor_hz",
    # acquisition
    "SliceGeometry", "SlicePlane", "slice_planes", "AcquisitionParams", "MRAcquisition", "ScanTiming", "acquire",
    "scan_timing", "snr_water", "validate_acquisition", "SNR_REF", "fft2c", "ifft2c", "COILS",
    "coil_sensitivities", "sense_g_factor",
    # artifacts
    "ArtifactSpec", "MotionSpec", "FieldMap", "susceptibility_field", "sphere_dipole_ppm", "chemical_shift_px",
    "gibbs_overshoot",
    # Bloch
    "Block", "RFPulse", "Gradient", "ADC", "hard_pulse", "sinc_pulse", "trapezoid", "trapezoid_area", "flash_blocks",
    "spin_echo_blocks", "inversion_recovery_blocks", "bssfp_blocks", "Spins", "SimResult", "flatten", "simulate",
    "simulate_numpy", "kspace_trajectory", "lorentzian_offsets", "spins_from_maps", "spins_from_labels",
    # safety
    "RFPulseSpec", "SarReport", "PnsReport", "LIMITS_W_KG", "pulses_for_sequence", "b1_rms_ut", "sar_estimate",
    "check_sar", "pns_check", "acoustic_noise_db",
]
