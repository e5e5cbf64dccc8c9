"""SMILE-VLM training: pretraining (core.train.pretraining), its config, view augmentations, data, logging, and the
supervised cross-entropy baseline (core.train.supervised)."""

from core.train.augment import AugmentConfig, augment_views
from core.train.pretraining import PretrainedRun, RunSummary, load_run, pretrain
from core.train.step import StepForward, train_step
from core.train.pretrain_config import PretrainConfig, load_pretrain_config
from core.train.run_log import read_log
from core.train.supervised import SupervisedBaseline, supervised_step

__all__ = [
    "AugmentConfig",
    "PretrainConfig",
    "PretrainedRun",
    "RunSummary",
    "StepForward",
    "SupervisedBaseline",
    "augment_views",
    "load_pretrain_config",
    "load_run",
    "pretrain",
    "read_log",
    "supervised_step",
    "train_step",
]
