"""Settings that only the ICT face model uses: how each subject performs action units, and which part of
the head a capture keeps (field of view). Both are fields of every dataset's settings (core.synth.config);
the Surrey Face Model generators ignore them. Values live in ``resources/synth.json`` (section ``ict``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.synth.checks import Range, _check, _finite, _nonneg, _range


@dataclass(frozen=True)
class AuStyleConfig:
    """A synthetic subject's own way of performing the action units of resources/action_units.json.

    gain_sigma: log-normal s.d. of the subject's overall expressiveness; unit_gain_sigma: of each AU's gain.
    field_sigma / field_width_mm / field_centres: a smooth random per-vertex scaling of each AU's displacement
    (sum of Gaussian bumps of that width), so the same AU moves each face a little differently.
    intensity_sigma: log-normal s.d. of each AU's intensity in a class around the table's typical value
    (drawn once per subject and class). asymmetry_sigma: s.d. of a left/right difference a of each lateral AU
    (left x (1 + a), right x (1 - a); |a| <= 0.9). co_activation_mean: Poisson mean of unrelated AUs a subject
    adds to a class, each at an intensity in co_activation_intensity. lag_sigma: s.d. of each AU's onset
    delay in a 4D expression, as a fraction of the onset phase (|N(0, s)|); speed_sigma: log-normal s.d. of
    each AU's onset/offset speed. neutral_units: how many random AUs a "neutral" face holds at the neutral
    residual.
    """

    gain_sigma: float = 0.15
    unit_gain_sigma: float = 0.1
    field_sigma: float = 0.2
    field_width_mm: float = 30.0
    field_centres: int = 8
    intensity_sigma: float = 0.2
    asymmetry_sigma: float = 0.1
    co_activation_mean: float = 1.0
    co_activation_intensity: Range = (0.03, 0.15)
    lag_sigma: float = 0.15
    speed_sigma: float = 0.2
    neutral_units: int = 3

    def __post_init__(self) -> None:
        for name in ("gain_sigma", "unit_gain_sigma", "field_sigma", "intensity_sigma", "asymmetry_sigma",
                     "co_activation_mean", "lag_sigma", "speed_sigma"):
            _nonneg(getattr(self, name), f"au_style.{name}")
            _check(getattr(self, name) <= 20, f"au_style.{name}", f"must be <= 20, got {getattr(self, name)!r}")
        _finite(self.field_width_mm, "au_style.field_width_mm")
        _check(self.field_width_mm > 0, "au_style.field_width_mm", f"must be > 0, got {self.field_width_mm!r}")
        _check(isinstance(self.field_centres, int) and 1 <= self.field_centres <= 64,
               "au_style.field_centres", f"must be an integer in 1..64, got {self.field_centres!r}")
        _range(self.co_activation_intensity, "au_style.co_activation_intensity", high=2.0)
        _check(isinstance(self.neutral_units, int) and 0 <= self.neutral_units <= 50,
               "au_style.neutral_units", f"must be an integer in 0..50, got {self.neutral_units!r}")


@dataclass(frozen=True)
class FieldOfViewConfig:
    """The part of the head a capture keeps, measured on each subject's neutral face from its nose tip
    (millimetres, face along +z, y up): vertices at most back_mm behind the tip, at most top_mm above it and
    at most bottom_mm below it (each bound jittered per subject by N(0, jitter_mm)). whole_head keeps the
    whole head and neck, as whole-head scanners and model fits do.
    """

    whole_head: bool = False
    back_mm: float = 110.0
    top_mm: float = 115.0
    bottom_mm: float = 140.0
    jitter_mm: float = 5.0

    def __post_init__(self) -> None:
        for name in ("back_mm", "top_mm", "bottom_mm"):
            _finite(getattr(self, name), f"field_of_view.{name}")
            _check(20 <= getattr(self, name) <= 400, f"field_of_view.{name}",
                   f"must be in [20, 400] mm, got {getattr(self, name)!r}")
        _nonneg(self.jitter_mm, "field_of_view.jitter_mm")
        _check(self.jitter_mm <= 30, "field_of_view.jitter_mm", f"must be <= 30 mm, got {self.jitter_mm!r}")
