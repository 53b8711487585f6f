//! Physical units of the simulator (units in types, not only in names): µm², ns, pJ, mW and MHz.
//!
//! They fit together without conversion factors: 1 pJ / 1 ns = 1 mW. Each newtype
//! is `#[serde(transparent)]` (plain numbers in JSON), has no `Deref` (the raw
//! number comes out only through [`AreaUm2::value`] and friends), and has only the
//! cross-unit operators physics allows.

use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, Sub};

use serde::{Deserialize, Serialize};

macro_rules! unit {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
        pub struct $name(pub f64);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0.0);
            /// The raw number in this unit.
            pub fn value(self) -> f64 {
                self.0
            }
        }
        impl Add for $name {
            type Output = Self;
            fn add(self, o: Self) -> Self {
                Self(self.0 + o.0)
            }
        }
        impl AddAssign for $name {
            fn add_assign(&mut self, o: Self) {
                self.0 += o.0;
            }
        }
        impl Sub for $name {
            type Output = Self;
            fn sub(self, o: Self) -> Self {
                Self(self.0 - o.0)
            }
        }
        impl Mul<f64> for $name {
            type Output = Self;
            fn mul(self, k: f64) -> Self {
                Self(self.0 * k)
            }
        }
        impl Div<f64> for $name {
            type Output = Self;
            fn div(self, k: f64) -> Self {
                Self(self.0 / k)
            }
        }
        impl Sum for $name {
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                Self(iter.map(|v| v.0).sum())
            }
        }
        impl<'a> Sum<&'a $name> for $name {
            fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
                Self(iter.map(|v| v.0).sum())
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

unit!(
    /// Area in square micrometres.
    AreaUm2
);
unit!(
    /// Time in nanoseconds.
    TimeNs
);
unit!(
    /// Energy in picojoules.
    EnergyPj
);
unit!(
    /// Power in milliwatts (1 mW = 1 pJ/ns).
    PowerMw
);
unit!(
    /// Frequency in megahertz.
    FreqMhz
);

impl Div<TimeNs> for EnergyPj {
    type Output = PowerMw;
    fn div(self, t: TimeNs) -> PowerMw {
        PowerMw(self.0 / t.0)
    }
}

impl Mul<TimeNs> for PowerMw {
    type Output = EnergyPj;
    fn mul(self, t: TimeNs) -> EnergyPj {
        EnergyPj(self.0 * t.0)
    }
}

impl Mul<EnergyPj> for u64 {
    type Output = EnergyPj;
    fn mul(self, e: EnergyPj) -> EnergyPj {
        // u64 -> f64 is exact below 2^53, far beyond any action count here.
        EnergyPj(self as f64 * e.0)
    }
}

impl FreqMhz {
    /// The clock period: 1000 / f ns.
    pub fn period(self) -> TimeNs {
        TimeNs(1000.0 / self.0)
    }
}

impl AreaUm2 {
    /// The same area in mm² (for display only).
    pub fn mm2(self) -> f64 {
        self.0 * 1e-6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_times_time_is_energy_and_back() {
        let e = PowerMw(2.5) * TimeNs(4.0);
        assert_eq!(e, EnergyPj(10.0));
        assert_eq!(e / TimeNs(4.0), PowerMw(2.5));
        assert_eq!(3u64 * EnergyPj(1.5), EnergyPj(4.5));
    }

    #[test]
    fn period_of_500_mhz_is_2_ns() {
        assert_eq!(FreqMhz(500.0).period(), TimeNs(2.0));
    }

    #[test]
    fn units_serialize_as_plain_numbers() {
        assert_eq!(
            serde_json::to_string(&AreaUm2(1.5)).ok(),
            Some("1.5".into())
        );
        let t: TimeNs = serde_json::from_str("3").unwrap_or_default();
        assert_eq!(t, TimeNs(3.0));
        let s: EnergyPj = [EnergyPj(1.0), EnergyPj(2.0)].iter().sum();
        assert_eq!(s.value(), 3.0);
    }
}
