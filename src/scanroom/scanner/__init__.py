"""The scan room: one acquisition interface for every modality, on the shared digital patients."""
