"""DICOM files and services: storage normalisation, the DICOM JSON model, DICOMweb payloads."""
