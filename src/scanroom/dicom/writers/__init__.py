"""DICOM writers, one module per modality (registered with scanroom.dicom.export)."""
