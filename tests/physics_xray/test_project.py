"""Polyenergetic projection: analytic Beer–Lambert, mono-energetic exp(−μL), geometry, heel vs SpekPy."""

import numpy as np
import pytest

from scanroom.physics.xray.attenuation import mu_en_over_rho_air_cm2_g
from scanroom.physics.xray.geometry import FlatPanelGeometry
from scanroom.physics.xray.project import (
    Scintillator,
    geometry_maps,
    render_primary,
    render_primary_numpy,
)
from scanroom.physics.xray.raycast import material_lut, material_volume, path_lengths
from scanroom.physics.xray.spectrum import Spectrum, tube_spectrum

from .conftest import BONE, FAT, LUNG, WATER, mu_table


def _water_slab(thickness_cm=20.0):
    # water slab 20 cm thick (y), 40 × 40 cm wide, 5 mm voxels
    shape = (80, int(thickness_cm * 2), 80)
    labels = np.ones(shape, np.uint8)
    vox = (5.0, 5.0, 5.0)
    origin = (-197.5, -thickness_cm * 5 + 2.5, -197.5)
    return material_volume(labels, material_lut({1: "water"}, ["water"])), vox, origin


def test_20cm_water_matches_analytic_beer_lambert():
    mat, vox, origin = _water_slab()
    g = FlatPanelGeometry.facing((0.0, -1000.0, 0.0), (0.0, 150.0, 0.0), (0, 0, 1), (5, 5), 1.0)
    paths = path_lengths(mat, vox, origin, g, 1)
    assert paths[0, 2, 2] == pytest.approx(20.0, rel=1e-6)
    spec = tube_spectrum(80)
    mu = mu_table([WATER], spec.energies_kev)
    scint = Scintillator()
    img = render_primary(paths, mu, spec, g, mas=10.0, scintillator=scint, heel=False)
    # analytic, central ray (normal incidence, r = 1150 mm), all energy bins
    e, phi = spec.energies_kev, spec.fluence
    t = np.exp(-mu[0] * 20.0)
    eta = scint.absorption_efficiency(e)
    gain = 10.0 * 1.0 * (1000.0 / 1150.0) ** 2
    assert img.incident_photons[2, 2] == pytest.approx(gain * np.sum(phi * t), rel=1e-4)
    assert img.absorbed_quanta[2, 2] == pytest.approx(gain * np.sum(phi * t * eta), rel=1e-4)
    assert img.absorbed_energy_kev[2, 2] == pytest.approx(gain * np.sum(phi * t * eta * e), rel=1e-4)
    # transmission of 20 cm water at 80 kV: a few tenths of a percent of the incident photons
    open_ = render_primary(np.zeros_like(paths), mu, spec, g, mas=10.0, heel=False)
    trans = img.incident_photons[2, 2] / open_.incident_photons[2, 2]
    assert 0.003 < trans < 0.02
    # beam hardening: the effective μ is below the fluence-weighted mean μ
    mu_mean = np.sum(phi * mu[0]) / np.sum(phi)
    assert -np.log(trans) / 20.0 < mu_mean


def test_monoenergetic_exp_minus_mu_l():
    e = np.arange(1.5, 150.0, 1.0)
    fl = np.where(e == 60.5, 1.0e6, 0.0)
    spec = Spectrum(e, fl, 1.0, 80.0, 12.0, 2.5, 0.0)
    mu = mu_table([WATER, BONE], e)
    paths = np.zeros((2, 1, 3), np.float32)
    paths[0, 0, :] = [5.0, 10.0, 3.0]
    paths[1, 0, :] = [0.0, 0.0, 2.0]
    g = FlatPanelGeometry.facing((0.0, -1000.0, 0.0), (0.0, 0.0, 0.0), (0, 0, 1), (1, 3), 1e-3)
    img = render_primary(paths, mu, spec, g, mas=1.0, heel=False, filter_obliquity=False)
    k = np.searchsorted(e, 60.5)
    expected = 1.0e6 * np.exp(-(mu[0, k] * paths[0, 0] + mu[1, k] * paths[1, 0])) * 1e-6
    np.testing.assert_allclose(img.incident_photons[0], expected, rtol=1e-5)
    # and μ_water near 60 keV is the NIST XCOM value (0.2059 /cm at 60 keV; 0.3 % lower at 60.5 keV)
    assert mu[0, k] == pytest.approx(0.2059, rel=0.01)


def test_numba_matches_numpy_reference_with_oblique_geometry():
    rng = np.random.default_rng(3)
    paths = (rng.random((3, 40, 50)) * 8).astype(np.float32)
    paths[1] *= rng.random((40, 50)) > 0.5  # sparse material
    spec = tube_spectrum(90, added_cu_mm=0.1)
    mu = mu_table([WATER, BONE, WATER], spec.energies_kev)
    g = FlatPanelGeometry.facing((0.0, -600.0, 0.0), (50.0, 300.0, 40.0), (0, 0, 1), (40, 50), 8.0)
    maps = geometry_maps(g, spec.anode_angle_deg)
    a = render_primary(paths, mu, spec, None, 2.0, maps=maps)
    b = render_primary_numpy(paths, mu, spec, maps, 2.0)
    for x, y in zip((a.incident_photons, a.absorbed_quanta, a.absorbed_energy_kev, a.absorbed_energy2_kev2),
                    (b.incident_photons, b.absorbed_quanta, b.absorbed_energy_kev, b.absorbed_energy2_kev2),
                    strict=True):
        np.testing.assert_allclose(x, y, rtol=2e-4)


def test_inverse_square_and_obliquity():
    spec = tube_spectrum(80)
    g = FlatPanelGeometry.facing((0.0, -1000.0, 0.0), (0.0, 0.0, 0.0), (0, 0, 1), (3, 3), 400.0)
    img = render_primary(np.zeros((1, 3, 3), np.float32), np.zeros((1, spec.energies_kev.size)), spec, g,
                         1.0, heel=False, filter_obliquity=False)
    r = g.distance_mm()
    ratio = img.incident_photons / img.incident_photons[1, 1]
    np.testing.assert_allclose(ratio, (1000.0 / r) ** 3, rtol=1e-5)  # (1/r²)·cos γ, cos γ = 1000/r
    assert img.incident_photons[1, 1] == pytest.approx(spec.total_fluence * 400.0**2, rel=1e-5)


def test_heel_effect_matches_spekpy_off_axis_kerma(spekpy):
    # detector at 1 m; pixels along the anode–cathode axis at x = −10, 0, +10 cm (SpekPy's x: + to cathode)
    spec = tube_spectrum(80)
    g = FlatPanelGeometry.facing((0.0, 0.0, 0.0), (0.0, 1000.0, 0.0), (0, 0, 1), (3, 1), 100.0,
                                 anode_direction=(0, 0, 1))  # anode up: row 0 (top) is the anode side
    maps = geometry_maps(g, 12.0)
    zero = np.zeros((1, 3, 1), np.float32)
    mu0 = np.zeros((1, spec.energies_kev.size))
    # kerma-weighted incident fluence: weight each bin by E μ_en(E), via a 'spectrum' scaled per bin
    w = spec.energies_kev * mu_en_over_rho_air_cm2_g(spec.energies_kev)
    kspec = Spectrum(spec.energies_kev, spec.fluence * w, 1.0, 80.0, 12.0, spec.total_al_mm, 0.0)
    img = render_primary(zero, mu0, kspec, None, 1.0, maps=maps, min_weight=0.0)
    k = img.incident_photons[:, 0] / maps.gain[:, 0] * (g.distance_mm()[:, 0] / 1000.0) ** 2  # per mm² at r
    ours = k / k[1]
    ref = []
    for x in (-10.0, 0.0, 10.0):
        s = spekpy.Spek(kvp=80, th=12, x=x, z=100)
        s.filter("Al", 2.5)
        ref.append(s.get_kerma() * (x * x + 100**2) / 100**2)  # remove SpekPy's inverse square
    ref = np.array(ref) / ref[1]
    np.testing.assert_allclose(ours, ref, rtol=0.015)
    assert ours[0] < 0.9 < 1.0 < ours[2]  # anode side darker by > 10 %


def test_field_mask_and_validation():
    spec = tube_spectrum(70)
    g = FlatPanelGeometry.facing((0.0, -1000.0, 0.0), (0.0, 0.0, 0.0), (0, 0, 1), (4, 4), 10.0)
    mask = np.zeros((4, 4), bool)
    mask[1:3, 1:3] = True
    img = render_primary(np.zeros((1, 4, 4), np.float32), np.zeros((1, spec.energies_kev.size)), spec, g, 1.0,
                         field_mask=mask)
    assert np.all(img.incident_photons[~mask] == 0) and np.all(img.incident_photons[mask] > 0)
    assert np.all(img.energy_per_quantum_kev[mask] > 20)
    with pytest.raises(ValueError):
        render_primary(np.zeros((2, 4, 4), np.float32), np.zeros((1, spec.energies_kev.size)), spec, g, 1.0)


def test_csi_absorption_efficiency():
    scint = Scintillator(thickness_mm=0.6, packing_fraction=0.75)
    e = np.array([20.0, 33.0, 34.0, 60.0, 100.0])
    eta = scint.absorption_efficiency(e)
    assert eta[0] > 0.99 and eta[2] > eta[1]  # iodine K edge at 33.17 keV
    assert 0.6 < eta[3] < 0.9 and eta[4] < eta[3]
    assert np.all(scint.absorption_efficiency(e, cos_incidence=0.8) >= eta)


def _sparse_stack(n_mat=40, rows=23, cols=37, seed=11):
    """Many materials (two mask words), per-pixel counts from 0 to all of them, an odd width, an air-only row."""
    rng = np.random.default_rng(seed)
    paths = (rng.random((n_mat, rows, cols)) * 3).astype(np.float32)
    paths *= rng.random((n_mat, rows, cols)) < rng.random((1, rows, cols)) ** 2
    paths[:, 3] = 0.0
    paths[:, :, 5] = 0.0
    return paths


def _oblique(spec, shape):
    g = FlatPanelGeometry.facing((0.0, -600.0, 0.0), (50.0, 300.0, 40.0), (0, 0, 1), shape, 8.0)
    return geometry_maps(g, spec.anode_angle_deg)


_OUTPUTS = ("incident_photons", "absorbed_quanta", "absorbed_energy_kev", "absorbed_energy2_kev2")


def test_sparse_many_material_stack_matches_numpy_reference():
    # every slot-count variant, pixel pairs whose union needs the buffered fallback (> 12 lengths), odd width
    numba = pytest.importorskip("numba")
    paths = _sparse_stack()
    spec = tube_spectrum(100, added_cu_mm=0.1)
    comps = [WATER, BONE, FAT, LUNG]
    scale = 0.5 + np.random.default_rng(2).random((paths.shape[0], 1))
    mu = mu_table([comps[i % 4] for i in range(paths.shape[0])], spec.energies_kev) * scale
    maps = _oblique(spec, paths.shape[1:])
    counts = (paths != 0).sum(axis=0) + 2
    assert counts.min() == 2 and counts.max() > 12
    a = render_primary(paths, mu, spec, None, 2.0, maps=maps)
    b = render_primary_numpy(paths, mu, spec, maps, 2.0)
    for name in _OUTPUTS:
        x, y = getattr(a, name), getattr(b, name)
        assert np.all(np.isfinite(x))
        # e^(−x) to 2e−7; the absorbed sums use the nearest of the fine cos nodes (< 1e−4)
        np.testing.assert_allclose(x, y, rtol=2e-6 if name == "incident_photons" else 2e-4)
    # a collimated field: zero outside, bit-identical inside (pairs with one pixel outside included)
    field = np.random.default_rng(5).random(paths.shape[1:]) > 0.3
    c = render_primary(paths, mu, spec, None, 2.0, maps=maps, field_mask=field)
    for name in _OUTPUTS:
        assert np.all(getattr(c, name)[~field] == 0)
        np.testing.assert_array_equal(getattr(c, name)[field], getattr(a, name)[field])
    # the calling thread alone gives the same image bit for bit
    n_threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        d = render_primary(paths, mu, spec, None, 2.0, maps=maps)
    finally:
        numba.set_num_threads(n_threads)
    for name in _OUTPUTS:
        np.testing.assert_array_equal(getattr(d, name), getattr(a, name))


def test_fine_energy_bins_are_summed_over_several_passes():
    # 0.2 keV bins: more bins than one kernel pass (160) holds
    base = tube_spectrum(90)
    e = np.arange(10.1, 90.0, 0.2)
    spec = Spectrum(e, np.interp(e, base.energies_kev, base.fluence) * 0.2, 0.2, 90.0, base.anode_angle_deg,
                    base.total_al_mm, 0.0)
    paths = _sparse_stack(n_mat=3, rows=6, cols=9, seed=4)
    mu = mu_table([WATER, BONE, WATER], e)
    maps = _oblique(spec, paths.shape[1:])
    a = render_primary(paths, mu, spec, None, 1.0, maps=maps)
    b = render_primary_numpy(paths, mu, spec, maps, 1.0)
    assert e.size > 2 * 160
    for name in _OUTPUTS:
        rtol = 2e-6 if name == "incident_photons" else 2e-4
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol)


def test_portable_exponent_path_matches(monkeypatch):
    # targets without AVX-512 write 2^n into the float's exponent bits instead of using vscalefps
    numba = pytest.importorskip("numba")
    from scanroom.physics.xray import project  # noqa: PLC0415

    paths = _sparse_stack(n_mat=6, rows=8, cols=11, seed=9)
    spec = tube_spectrum(120)
    mu = mu_table([WATER, BONE] * 3, spec.energies_kev)
    maps = _oblique(spec, paths.shape[1:])
    ref = render_primary(paths, mu, spec, None, 1.0, maps=maps)
    monkeypatch.setattr(project, "_USE_AVX512", False)
    portable = numba.njit(nogil=True, fastmath=True)(project._render_kernel.py_func)
    monkeypatch.setattr(project, "_render_kernel", portable)
    img = render_primary(paths, mu, spec, None, 1.0, maps=maps)
    for name in _OUTPUTS:
        np.testing.assert_allclose(getattr(img, name), getattr(ref, name), rtol=1e-6)
