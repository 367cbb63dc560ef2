"""Annual dose limits by jurisdiction, and the investigation level a programme sets below them.

Values (mSv in a year unless noted), each with its source:

- ICRP Publication 103 (2007), Table 6, with the lens limit of ICRP Publication 118 (2012): occupational
  20 mSv effective (averaged over 5 years, no single year above 50 — checked here per year against 20),
  lens 20, skin 500, hands and feet 500; public 1 mSv; apprentices and students aged 16–18: 6 mSv.
- EU Council Directive 2013/59/Euratom (Basic Safety Standards), Articles 9–11: occupational 20, lens 20,
  skin 500, extremities 500; apprentices and students 16–18: 6; public 1.
- UK Ionising Radiations Regulations 2017 (IRR17), Schedule 3: employees 20, lens 20, skin 500,
  extremities 500; trainees under 18: 6; other persons 1.
- US NRC 10 CFR 20.1201 (occupational: total effective dose equivalent 0.05 Sv = 50 mSv, lens 0.15 Sv =
  150 mSv, shallow dose to skin or any extremity 0.5 Sv = 500 mSv), 20.1207 (minors: 10% of the adult
  limits, so 5 mSv), 20.1301 (members of the public 1 mSv).

Simulated doses are for teaching; nobody's real dose record lives here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    jurisdiction: str
    title: str
    effective_msv: float  # occupational, adult, per year
    lens_msv: float
    skin_msv: float
    extremity_msv: float
    trainee_under_18_msv: float  # apprentices/students 16–18 (minors under NRC)
    public_msv: float
    source: str


JURISDICTIONS: dict[str, Limits] = {
    "icrp": Limits("icrp", "ICRP 103 (lens: ICRP 118)", 20.0, 20.0, 500.0, 500.0, 6.0, 1.0,
                   "ICRP Publication 103 (2007) Table 6; ICRP Publication 118 (2012) for the lens"),
    "eu": Limits("eu", "EU Basic Safety Standards 2013/59/Euratom", 20.0, 20.0, 500.0, 500.0, 6.0, 1.0,
                 "Council Directive 2013/59/Euratom, Articles 9-11"),
    "uk-irr17": Limits("uk-irr17", "UK Ionising Radiations Regulations 2017", 20.0, 20.0, 500.0, 500.0, 6.0, 1.0,
                       "The Ionising Radiations Regulations 2017, Schedule 3"),
    "us-nrc": Limits("us-nrc", "US NRC 10 CFR Part 20", 50.0, 150.0, 500.0, 500.0, 5.0, 1.0,
                     "10 CFR 20.1201, 20.1207, 20.1301"),
}
DEFAULT_JURISDICTION = "icrp"
DEFAULT_INVESTIGATION_LEVEL_MSV = 1.0
"""Annual staff dose above which the instructor investigates: a local choice well below the limits (UK practice
often sets it near 1–2 mSv for radiographers; IRR17 regulation 8 asks employers to set one). Configurable per
ledger check (``--investigation-level``)."""


def get_limits(jurisdiction: str) -> Limits:
    key = jurisdiction.strip().lower()
    if key not in JURISDICTIONS:
        raise ValueError(f"Unknown jurisdiction {jurisdiction!r}; choose one of {', '.join(JURISDICTIONS)}.")
    return JURISDICTIONS[key]


def annual_limit_msv(limits: Limits, *, under_18: bool = False) -> float:
    """The annual effective dose limit that applies to a trainee."""
    return limits.trainee_under_18_msv if under_18 else limits.effective_msv
