//! The search space: one [`LayerMenu`] per weight layer of a network, and the
//! [`Genome`] that picks one entry of each menu.
//!
//! A gene stores *indices* into its layer's menu (so mutation can step to a
//! neighbouring size), and [`SearchSpace::decode`] turns a genome into concrete
//! per-layer choices ([`LayerChoice`]).

use serde::{Deserialize, Serialize};

use crate::epitome::spec::{EpitomeShape, LayerGeometry};
use crate::nets::{Network, Op};
use crate::rng::Rng;
use crate::sim::plan::weight_geometry;
use crate::{Error, Result};

/// How the menus are derived from a network (all optional in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields, default)]
pub struct SpaceConfig {
    /// Weight bits a layer may use (signed, including the sign bit; 2..=32).
    pub bits: Vec<u32>,
    /// Replication factors an epitome layer may use (>= 1).
    pub rep: Vec<usize>,
    /// Largest per-axis channel reduction: `e_out` ranges over the divisors `d` of
    /// `c_out` with `c_out / d <= max_channel_ratio` (same for `e_in`).
    pub max_channel_ratio: usize,
    /// Spatial sizes are `k..=k + spatial_extra` (conv layers; fc layers use 1).
    pub spatial_extra: usize,
}

impl Default for SpaceConfig {
    fn default() -> Self {
        SpaceConfig {
            bits: vec![2, 3, 4, 5, 6, 8],
            rep: vec![1, 2, 4],
            max_channel_ratio: 16,
            spatial_extra: 2,
        }
    }
}

impl SpaceConfig {
    /// Checks the menus' bounds, naming the field.
    pub fn validate(&self) -> Result<()> {
        check_menu("space.bits", &self.bits, 2..=32)?;
        check_menu("space.rep", &self.rep, 1..=1024)?;
        if !(1..=1 << 20).contains(&self.max_channel_ratio) {
            return Err(Error::invalid(
                "space.max_channel_ratio",
                format!("must be in 1..=1048576, got {}", self.max_channel_ratio),
            ));
        }
        if self.spatial_extra > 8 {
            return Err(Error::invalid(
                "space.spatial_extra",
                format!("must be <= 8, got {}", self.spatial_extra),
            ));
        }
        Ok(())
    }
}

/// `menu` lists 1..=255 values, each in `range` (errors name `field`).
fn check_menu<T>(field: &str, menu: &[T], range: std::ops::RangeInclusive<T>) -> Result<()>
where
    T: PartialOrd + std::fmt::Display,
{
    if menu.is_empty() || menu.len() > 255 {
        return Err(Error::invalid(field, "must list 1..=255 values"));
    }
    if let Some(v) = menu.iter().find(|v| !range.contains(*v)) {
        return Err(Error::invalid(
            field,
            format!(
                "every value must be in {}..={}, got {v}",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(())
}

/// The menu of one searchable layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerMenu {
    /// Index of the layer in [`Network::layers`].
    pub layer: usize,
    /// The layer's name.
    pub name: String,
    /// The dense geometry (an fc layer is a 1x1 convolution on a 1x1 map).
    pub geometry: LayerGeometry,
    /// False for grouped / depthwise convolutions: they stay dense (docs/epitome.md#shapes).
    pub epitome_allowed: bool,
    /// `e_out` choices, ascending.
    pub e_out: Vec<usize>,
    /// `e_in` choices, ascending.
    pub e_in: Vec<usize>,
    /// `e_h` choices, ascending.
    pub e_h: Vec<usize>,
    /// `e_w` choices, ascending.
    pub e_w: Vec<usize>,
    /// Replication choices.
    pub rep: Vec<usize>,
    /// Weight-bit choices.
    pub bits: Vec<u32>,
}

/// Divisors `d` of `c` with `c / d <= max_ratio`, ascending, at most 255 (the largest).
fn channel_divisors(c: usize, max_ratio: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (1..=c)
        .filter(|d| c % d == 0 && c / d <= max_ratio)
        .collect();
    if v.len() > 255 {
        v.drain(..v.len() - 255);
    }
    v
}

impl LayerMenu {
    /// A uniformly random epitome gene of this menu with bits index `bits` (draws
    /// `e_out`, `e_in`, `e_h`, `e_w`, `rep` in that order).
    pub fn random_epitome(&self, bits: u8, rng: &mut Rng) -> Gene {
        Gene {
            epitome: true,
            e_out: idx(rng.below(self.e_out.len())),
            e_in: idx(rng.below(self.e_in.len())),
            e_h: idx(rng.below(self.e_h.len())),
            e_w: idx(rng.below(self.e_w.len())),
            rep: idx(rng.below(self.rep.len())),
            bits,
        }
    }

    /// Number of distinct layer choices (dense ones counted once per bit width).
    pub fn size(&self) -> u128 {
        let dense = self.bits.len() as u128;
        if !self.epitome_allowed {
            return dense;
        }
        dense
            * (1 + (self.e_out.len() * self.e_in.len() * self.e_h.len() * self.e_w.len()) as u128
                * self.rep.len() as u128)
    }
}

/// One layer's gene: indices into its [`LayerMenu`]. A dense gene has every
/// epitome index 0 (its canonical form, so equal designs are equal genes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Gene {
    /// Epitome (true) or dense (false).
    pub epitome: bool,
    /// Index into [`LayerMenu::e_out`].
    pub e_out: u8,
    /// Index into [`LayerMenu::e_in`].
    pub e_in: u8,
    /// Index into [`LayerMenu::e_h`].
    pub e_h: u8,
    /// Index into [`LayerMenu::e_w`].
    pub e_w: u8,
    /// Index into [`LayerMenu::rep`].
    pub rep: u8,
    /// Index into [`LayerMenu::bits`].
    pub bits: u8,
}

impl Gene {
    /// A dense gene with bit-width index `bits`.
    pub fn dense(bits: u8) -> Self {
        Gene {
            epitome: false,
            e_out: 0,
            e_in: 0,
            e_h: 0,
            e_w: 0,
            rep: 0,
            bits,
        }
    }
}

/// One gene per searchable layer, in [`SearchSpace::layers`] order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Genome(pub Vec<Gene>);

/// The concrete design of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayerChoice {
    /// The ordinary convolution / fc layer at `w_bits`.
    Dense {
        /// Weight bits.
        w_bits: u32,
    },
    /// An epitome layer.
    Epitome {
        /// Epitome shape.
        #[serde(flatten)]
        shape: EpitomeShape,
        /// Replication factor.
        rep: usize,
        /// Weight bits.
        w_bits: u32,
    },
}

impl LayerChoice {
    /// The weight bits of the choice.
    pub fn w_bits(&self) -> u32 {
        match *self {
            LayerChoice::Dense { w_bits } | LayerChoice::Epitome { w_bits, .. } => w_bits,
        }
    }
}

/// Every searchable layer's menu.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchSpace {
    /// One menu per conv / fc layer, in network order.
    pub layers: Vec<LayerMenu>,
}

/// A menu index as a gene index.
pub(crate) fn idx(v: usize) -> u8 {
    // Menus are capped at 255 entries, so every index fits.
    v.min(255) as u8
}

impl SearchSpace {
    /// Menus for every conv and fc layer of `net` (pooling and adds have no weights).
    pub fn from_network(net: &Network, cfg: &SpaceConfig) -> Result<Self> {
        cfg.validate()?;
        let mut layers = Vec::new();
        for (l, layer) in net.layers.iter().enumerate() {
            let Some(geometry) = weight_geometry(&layer.op) else {
                continue;
            };
            let grouped = matches!(layer.op, Op::Conv(g) if g.groups > 1);
            let fc = matches!(layer.op, Op::Fc { .. });
            let extra = if fc { 0 } else { cfg.spatial_extra };
            layers.push(LayerMenu {
                layer: l,
                name: layer.name.clone(),
                geometry,
                epitome_allowed: !grouped,
                e_out: channel_divisors(geometry.c_out, cfg.max_channel_ratio),
                e_in: channel_divisors(geometry.c_in, cfg.max_channel_ratio),
                e_h: (geometry.k_h..=geometry.k_h + extra).collect(),
                e_w: (geometry.k_w..=geometry.k_w + extra).collect(),
                rep: cfg.rep.clone(),
                bits: cfg.bits.clone(),
            });
        }
        if layers.is_empty() {
            return Err(Error::invalid(
                "network",
                "has no conv or fc layer to search over",
            ));
        }
        Ok(SearchSpace { layers })
    }

    /// log10 of the number of distinct designs.
    pub fn log10_size(&self) -> f64 {
        self.layers.iter().map(|m| (m.size() as f64).log10()).sum()
    }

    /// Checks that `genome` has one in-range gene per layer.
    pub fn check(&self, genome: &Genome) -> Result<()> {
        if genome.0.len() != self.layers.len() {
            return Err(Error::shape(
                "genome",
                format!("{} genes", self.layers.len()),
                genome.0.len(),
            ));
        }
        for (i, (g, m)) in genome.0.iter().zip(&self.layers).enumerate() {
            let bad = usize::from(g.bits) >= m.bits.len()
                || (g.epitome
                    && (!m.epitome_allowed
                        || usize::from(g.e_out) >= m.e_out.len()
                        || usize::from(g.e_in) >= m.e_in.len()
                        || usize::from(g.e_h) >= m.e_h.len()
                        || usize::from(g.e_w) >= m.e_w.len()
                        || usize::from(g.rep) >= m.rep.len()));
            if bad {
                return Err(Error::invalid(
                    format!("genome[{i}]"),
                    format!("index out of layer {}'s menu", m.name),
                ));
            }
        }
        Ok(())
    }

    /// The concrete per-layer choices of a (checked) genome.
    pub fn decode(&self, genome: &Genome) -> Vec<LayerChoice> {
        genome
            .0
            .iter()
            .zip(&self.layers)
            .map(|(g, m)| decode_gene(m, g))
            .collect()
    }

    /// The genome whose layers are all dense at bit index `bits` (clamped).
    pub fn all_dense(&self, bits: u8) -> Genome {
        Genome(
            self.layers
                .iter()
                .map(|m| Gene::dense(bits.min(idx(m.bits.len() - 1))))
                .collect(),
        )
    }

    /// A uniformly random gene of layer `i` (epitome with probability 1/2 where allowed).
    pub fn random_gene(&self, i: usize, rng: &mut Rng) -> Gene {
        let m = &self.layers[i];
        let bits = idx(rng.below(m.bits.len()));
        if m.epitome_allowed && rng.chance(0.5) {
            m.random_epitome(bits, rng)
        } else {
            Gene::dense(bits)
        }
    }

    /// A uniformly random genome.
    pub fn random_genome(&self, rng: &mut Rng) -> Genome {
        Genome(
            (0..self.layers.len())
                .map(|i| self.random_gene(i, rng))
                .collect(),
        )
    }

    /// Mutates gene `i` in place: flips dense/epitome, or steps one axis (a shape
    /// size, the replication or the bits) to a neighbouring menu entry.
    pub fn mutate_gene(&self, i: usize, gene: &mut Gene, rng: &mut Rng) {
        let m = &self.layers[i];
        // Axes: 0 flip, 1 e_out, 2 e_in, 3 e_h, 4 e_w, 5 rep, 6 bits. A dense gene
        // can only flip or change bits.
        let axis = if gene.epitome {
            rng.below(7)
        } else if m.epitome_allowed && rng.chance(0.5) {
            0
        } else {
            6
        };
        let step = |v: u8, len: usize, rng: &mut Rng| -> u8 {
            if len <= 1 {
                return 0;
            }
            let v = usize::from(v);
            let up = if v == 0 {
                true
            } else if v + 1 >= len {
                false
            } else {
                rng.chance(0.5)
            };
            idx(if up { v + 1 } else { v - 1 })
        };
        match axis {
            0 => {
                if gene.epitome {
                    *gene = Gene::dense(gene.bits);
                } else if m.epitome_allowed {
                    *gene = m.random_epitome(gene.bits, rng);
                }
            }
            1 => gene.e_out = step(gene.e_out, m.e_out.len(), rng),
            2 => gene.e_in = step(gene.e_in, m.e_in.len(), rng),
            3 => gene.e_h = step(gene.e_h, m.e_h.len(), rng),
            4 => gene.e_w = step(gene.e_w, m.e_w.len(), rng),
            5 => gene.rep = step(gene.rep, m.rep.len(), rng),
            _ => gene.bits = step(gene.bits, m.bits.len(), rng),
        }
    }
}

/// The concrete choice of one gene (indices assumed in range; clamped otherwise).
pub fn decode_gene(m: &LayerMenu, g: &Gene) -> LayerChoice {
    let pick = |v: &[usize], i: u8| v[usize::from(i).min(v.len().saturating_sub(1))];
    let w_bits = m.bits[usize::from(g.bits).min(m.bits.len().saturating_sub(1))];
    if g.epitome && m.epitome_allowed {
        LayerChoice::Epitome {
            shape: EpitomeShape {
                e_out: pick(&m.e_out, g.e_out),
                e_in: pick(&m.e_in, g.e_in),
                e_h: pick(&m.e_h, g.e_h),
                e_w: pick(&m.e_w, g.e_w),
            },
            rep: pick(&m.rep, g.rep),
            w_bits,
        }
    } else {
        LayerChoice::Dense { w_bits }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::builtin;

    #[test]
    fn channel_divisors_respect_the_ratio() {
        assert_eq!(channel_divisors(64, 8), vec![8, 16, 32, 64]);
        assert_eq!(channel_divisors(3, 16), vec![1, 3]);
        assert_eq!(
            channel_divisors(1000, 16),
            vec![100, 125, 200, 250, 500, 1000]
        );
    }

    #[test]
    fn depthwise_layers_stay_dense_and_fc_is_one_by_one() {
        let net = builtin("mobilenetv2-imagenet").unwrap();
        let space = SearchSpace::from_network(&net, &SpaceConfig::default()).unwrap();
        let dw = space.layers.iter().filter(|m| !m.epitome_allowed).count();
        assert!(dw > 10, "mobilenetv2 has 17 depthwise convs, found {dw}");
        let mut rng = Rng::new(1);
        for _ in 0..50 {
            let g = space.random_genome(&mut rng);
            for (c, m) in space.decode(&g).iter().zip(&space.layers) {
                if !m.epitome_allowed {
                    assert!(matches!(c, LayerChoice::Dense { .. }));
                }
            }
        }
        let fc = space.layers.last().unwrap();
        assert_eq!((fc.e_h.clone(), fc.e_w.clone()), (vec![1], vec![1]));
    }

    #[test]
    fn random_and_mutated_genomes_stay_in_the_menus() {
        let net = builtin("resnet18").unwrap();
        let space = SearchSpace::from_network(&net, &SpaceConfig::default()).unwrap();
        let mut rng = Rng::new(9);
        let mut g = space.random_genome(&mut rng);
        for _ in 0..2000 {
            let i = rng.below(g.0.len());
            space.mutate_gene(i, &mut g.0[i], &mut rng);
            space.check(&g).unwrap();
            for gene in &g.0 {
                if !gene.epitome {
                    assert_eq!(*gene, Gene::dense(gene.bits), "dense genes are canonical");
                }
            }
        }
    }

    #[test]
    fn epitome_choices_are_valid_epitome_specs() {
        let net = builtin("resnet50-imagenet").unwrap();
        let space = SearchSpace::from_network(&net, &SpaceConfig::default()).unwrap();
        let mut rng = Rng::new(5);
        let (mut epitomes, mut genes) = (0, 0);
        for _ in 0..20 {
            let g = space.random_genome(&mut rng);
            for (c, m) in space.decode(&g).iter().zip(&space.layers) {
                genes += 1;
                if let LayerChoice::Epitome { shape, rep, w_bits } = *c {
                    epitomes += 1;
                    assert!(
                        m.epitome_allowed,
                        "{}: epitome drawn for a dense-only layer",
                        m.name
                    );
                    assert!(m.e_out.contains(&shape.e_out) && m.e_in.contains(&shape.e_in));
                    assert!(m.e_h.contains(&shape.e_h) && m.e_w.contains(&shape.e_w));
                    assert!(m.rep.contains(&rep) && m.bits.contains(&w_bits));
                    let mut spec = crate::epitome::EpitomeSpec::new(m.geometry, shape);
                    spec.rep = rep;
                    spec.validate().unwrap();
                }
            }
        }
        // The property is about epitome choices: the draw must produce many of them (and
        // dense ones too), or the loop above checked nothing.
        assert!(
            epitomes >= genes / 4 && epitomes < genes,
            "{epitomes} epitome choices among {genes} genes"
        );
    }

    #[test]
    fn bad_space_config_is_an_error_naming_the_field() {
        let cfg = SpaceConfig {
            bits: vec![1],
            ..SpaceConfig::default()
        };
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("space.bits"), "{e}");
        let cfg = SpaceConfig {
            rep: vec![],
            ..SpaceConfig::default()
        };
        assert!(cfg.validate().is_err());
    }

    #[test]
    fn check_rejects_wrong_length_and_out_of_menu_genes() {
        let net = builtin("lenet").unwrap();
        let space = SearchSpace::from_network(&net, &SpaceConfig::default()).unwrap();
        let mut g = space.all_dense(0);
        assert!(space.check(&g).is_ok());
        g.0[0].bits = 200;
        assert!(space.check(&g).is_err());
        g.0.pop();
        assert!(space.check(&g).is_err());
    }
}
