"""The settings every generator shares (the ``common`` section of ``resources/synth.json``): identity
distribution, the SFM's expression style, capture artefacts and head motion. Units: millimetres, degrees."""

from __future__ import annotations

from dataclasses import dataclass

from core.synth.checks import Range, Weights, _check, _finite, _fraction, _nonneg, _range, _weights

#: BU-3DFE race codes (White, Black, East-Asian, Middle-East Asian, Indian, Hispanic Latino).
RACE_CODES: tuple[str, ...] = ("WH", "BL", "AE", "AM", "IN", "LA")


@dataclass(frozen=True)
class IdentityConfig:
    """Identity distribution. PCA coefficients ~ N(mean, sigma) in units of sqrt(eigenvalue).

    sigma: spread of the coefficients. n_components: how many components vary (at most the model's: 63
    for the SFM, 100 for ICT).
    shift: population mean offset along a direction drawn from population_seed (in sigma units per
    component of the first 10). sex_offset / group_offset: per-sex (+/-) and per-group offsets along
    further seeded directions. scale_sigma: relative head-size spread; sex_scale: +/- relative size for
    M/F. female_fraction: share of F subjects. groups: group code -> share (race codes of BU-3DFE).
    """

    sigma: float = 1.0
    n_components: int = 63
    shift: float = 0.0
    population_seed: int = 1
    sex_offset: float = 0.6
    group_offset: float = 0.5
    scale_sigma: float = 0.03
    sex_scale: float = 0.03
    female_fraction: float = 0.56
    groups: Weights = (("WH", 0.5), ("BL", 0.1), ("AE", 0.2), ("AM", 0.05), ("IN", 0.07), ("LA", 0.08))

    def __post_init__(self) -> None:
        _nonneg(self.sigma, "identity.sigma")
        _check(isinstance(self.n_components, int) and 1 <= self.n_components <= 100,
               "identity.n_components", f"must be an integer in 1..100, got {self.n_components!r}")
        for name in ("shift", "sex_offset", "group_offset", "sex_scale"):
            _finite(getattr(self, name), f"identity.{name}")
        _check(isinstance(self.population_seed, int) and self.population_seed >= 0,
               "identity.population_seed", f"must be an integer >= 0, got {self.population_seed!r}")
        _check(0 <= self.scale_sigma < 0.5, "identity.scale_sigma", f"must be in [0, 0.5), got {self.scale_sigma!r}")
        _check(abs(self.sex_scale) < 0.5, "identity.sex_scale", f"must be in (-0.5, 0.5), got {self.sex_scale!r}")
        _fraction(self.female_fraction, "identity.female_fraction")
        _weights(self.groups, "identity.groups", RACE_CODES)


@dataclass(frozen=True)
class StyleConfig:
    """How each subject performs the expressions (applied to every SFM blendshape per subject).

    gain_sigma: log-normal spread of a subject's overall expressiveness; expression_gain_sigma: of each
    expression's gain. field_sigma / field_width_mm / field_centres: a smooth random per-vertex scaling
    (sum of Gaussian bumps of that width) of the blendshape. mix_sigma: leakage weights |N(0, mix_sigma)|
    of the other five blendshapes. asymmetry_sigma: left/right gain difference (1 + a tanh(x / 20 mm)).
    idiosyncrasy: a subject-specific extra displacement in the expression's region, as a fraction of the
    blendshape's RMS.
    """

    gain_sigma: float = 0.2
    expression_gain_sigma: float = 0.15
    field_sigma: float = 0.3
    field_width_mm: float = 30.0
    field_centres: int = 8
    mix_sigma: float = 0.1
    asymmetry_sigma: float = 0.1
    idiosyncrasy: float = 0.3

    def __post_init__(self) -> None:
        for name in ("gain_sigma", "expression_gain_sigma", "field_sigma", "mix_sigma", "asymmetry_sigma",
                     "idiosyncrasy"):
            _nonneg(getattr(self, name), f"style.{name}")
        _finite(self.field_width_mm, "style.field_width_mm")
        _check(self.field_width_mm > 0, "style.field_width_mm", f"must be > 0, got {self.field_width_mm!r}")
        _check(isinstance(self.field_centres, int) and 1 <= self.field_centres <= 64,
               "style.field_centres", f"must be an integer in 1..64, got {self.field_centres!r}")


@dataclass(frozen=True)
class ArtefactConfig:
    """Scanner and capture artefacts applied to every scan / frame.

    rotation_deg / translation_mm: s.d. of the rigid head-pose jitter per scan (per sequence for 4D).
    noise_mm: s.d. of isotropic Gaussian vertex noise. holes_mean: Poisson mean of missing patches per
    scan, each a ball of radius hole_radius_mm around a random vertex (vertices and faces removed, at
    most max_removed_fraction of the vertices); in a 4D sequence these holes are drawn once and stay at
    the same place on the face in every frame (a capture rig's blind spots do not jump between frames),
    and each frame adds Poisson(frame_holes_mean) transient dropouts of its own. occlusion_probability: chance of a hand (lower face) or
    hair (forehead) occluder per scan / sequence, a patch of radius occlusion_radius_mm pushed
    occlusion_offset_mm in front of the face. spurious_mean: Poisson mean of spurious specks (tiny
    triangles floating spurious_distance_mm in front of the surface).
    """

    rotation_deg: float = 3.0
    translation_mm: float = 2.0
    noise_mm: float = 0.2
    holes_mean: float = 1.0
    frame_holes_mean: float = 0.1
    hole_radius_mm: Range = (3.0, 10.0)
    max_removed_fraction: float = 0.25
    occlusion_probability: float = 0.1
    occlusion_radius_mm: Range = (15.0, 30.0)
    occlusion_offset_mm: Range = (4.0, 20.0)
    spurious_mean: float = 2.0
    spurious_distance_mm: Range = (2.0, 30.0)

    def __post_init__(self) -> None:
        for name in ("rotation_deg", "translation_mm", "noise_mm", "holes_mean", "frame_holes_mean", "spurious_mean"):
            _nonneg(getattr(self, name), f"artefacts.{name}")
        _check(self.rotation_deg <= 45, "artefacts.rotation_deg", f"must be <= 45, got {self.rotation_deg!r}")
        _check(self.holes_mean <= 50, "artefacts.holes_mean", f"must be <= 50, got {self.holes_mean!r}")
        _check(self.frame_holes_mean <= 50, "artefacts.frame_holes_mean",
               f"must be <= 50, got {self.frame_holes_mean!r}")
        _check(self.spurious_mean <= 1000, "artefacts.spurious_mean", f"must be <= 1000, got {self.spurious_mean!r}")
        _range(self.hole_radius_mm, "artefacts.hole_radius_mm", high=100.0)
        _check(0 <= self.max_removed_fraction <= 0.9, "artefacts.max_removed_fraction",
               f"must be in [0, 0.9], got {self.max_removed_fraction!r}")
        _fraction(self.occlusion_probability, "artefacts.occlusion_probability")
        _range(self.occlusion_radius_mm, "artefacts.occlusion_radius_mm", high=150.0)
        _range(self.occlusion_offset_mm, "artefacts.occlusion_offset_mm", high=200.0)
        _range(self.spurious_distance_mm, "artefacts.spurious_distance_mm", high=500.0)


@dataclass(frozen=True)
class MotionConfig:
    """Smooth head motion within a 4D sequence: amplitude of slow rotation (deg) and translation (mm)."""

    drift_deg: float = 1.0
    drift_mm: float = 1.0

    def __post_init__(self) -> None:
        _nonneg(self.drift_deg, "motion.drift_deg")
        _check(self.drift_deg <= 45, "motion.drift_deg", f"must be <= 45, got {self.drift_deg!r}")
        _nonneg(self.drift_mm, "motion.drift_mm")
