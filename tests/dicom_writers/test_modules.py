"""Module builders of scanroom.dicom.modules: conditional attributes and formatting."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydicom.dataset import Dataset

from scanroom.dicom import modules as m

CTX = m.StudyContext(patient_name="SIMULATED^TEST", patient_id="SIM-1", when=datetime(2024, 1, 2, 3, 4, 5))


def test_patient_orientation_is_left_out_with_an_image_plane() -> None:
    projection = Dataset()
    m.general_image_module(projection, CTX, instance_number=1)
    assert projection.PatientOrientation == ""  # type 2: present, empty
    m.general_image_module(projection, CTX, instance_number=1, patient_orientation=("L", "F"))
    assert projection.PatientOrientation == ["L", "F"]
    cross_section = Dataset()
    m.general_image_module(cross_section, CTX, instance_number=3, image_type=("ORIGINAL", "PRIMARY", "AXIAL"),
                           image_plane=True)
    assert "PatientOrientation" not in cross_section
    assert cross_section.ImageType == ["ORIGINAL", "PRIMARY", "AXIAL"] and cross_section.InstanceNumber == 3
    with pytest.raises(ValueError):
        m.general_image_module(Dataset(), CTX, instance_number=1, patient_orientation=("L", "F"), image_plane=True)


def test_device_serial_number() -> None:
    ds = Dataset()
    m.general_equipment_module(ds)
    assert ds.DeviceSerialNumber == m.DEVICE_SERIAL_NUMBER
    ds = Dataset()
    m.general_equipment_module(ds, device_serial_number=None)
    assert "DeviceSerialNumber" not in ds
    ds = Dataset()
    m.enhanced_general_equipment_module(ds, device_uid="1.2.3")
    assert ds.DeviceSerialNumber == m.DEVICE_SERIAL_NUMBER and ds.DeviceUID == "1.2.3"


@pytest.mark.parametrize("value", [0.1, -178.125, 1e-9, 123456789.123456, -0.000123456789, 42.577478 * 1.5])
def test_format_ds_fits_16_characters(value: float) -> None:
    text = m.format_ds(value)
    assert len(text) <= 16
    assert float(text) == pytest.approx(value, rel=1e-5)
