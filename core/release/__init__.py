"""The shipped default model: how it is built (``smile-vlm build-model``), evaluated on held-out synthetic subjects,
calibrated, and written with its model card (resources/models/default/)."""
