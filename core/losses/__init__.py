"""SMILE-VLM losses, one module per equation (paper Eq. 1–4, 6, 8–9, 10; class-aware InfoNCE: an option of ours)."""

from core.losses.barlow_twins import mv_barlow_twins
from core.losses.class_aware_vl_align import class_aware_vl_align
from core.losses.cross_correlation import cross_correlation, redundancy_objective, standardize
from core.losses.redundancy_min import redundancy_min
from core.losses.smile_vlm import LossWeights, smile_vlm_loss
from core.losses.vl_align import vl_align

__all__ = [
    "LossWeights",
    "class_aware_vl_align",
    "cross_correlation",
    "mv_barlow_twins",
    "redundancy_min",
    "redundancy_objective",
    "smile_vlm_loss",
    "standardize",
    "vl_align",
]
