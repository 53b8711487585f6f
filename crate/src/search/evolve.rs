//! Variation operators: tournament selection, uniform crossover, per-gene mutation.
//! Pure functions of the search space, the parents and the RNG.

use super::genome::{Genome, SearchSpace};
use crate::rng::Rng;

/// Tournament of `k` uniformly drawn members of a population sorted best first:
/// the winner is the smallest drawn index.
pub fn tournament(len: usize, k: usize, rng: &mut Rng) -> usize {
    let mut best = rng.below(len);
    for _ in 1..k.max(1) {
        best = best.min(rng.below(len));
    }
    best
}

/// Uniform crossover: each layer's gene comes from `a` or `b` with probability 1/2.
pub fn crossover(a: &Genome, b: &Genome, rng: &mut Rng) -> Genome {
    Genome(
        a.0.iter()
            .zip(&b.0)
            .map(|(x, y)| if rng.chance(0.5) { *x } else { *y })
            .collect(),
    )
}

/// Mutates each gene with probability `rate`; returns how many genes were touched.
pub fn mutate(space: &SearchSpace, g: &mut Genome, rate: f64, rng: &mut Rng) -> usize {
    let mut n = 0;
    for i in 0..g.0.len() {
        if rng.chance(rate) {
            space.mutate_gene(i, &mut g.0[i], rng);
            n += 1;
        }
    }
    n
}

/// Mutates one uniformly chosen gene (used when a child repeats a visited genome).
pub fn mutate_one(space: &SearchSpace, g: &mut Genome, rng: &mut Rng) {
    if g.0.is_empty() {
        return;
    }
    let i = rng.below(g.0.len());
    space.mutate_gene(i, &mut g.0[i], rng);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tournament_prefers_small_indices() {
        let mut rng = Rng::new(4);
        let picks: usize = (0..2000).map(|_| tournament(10, 3, &mut rng)).sum();
        // The minimum of 3 uniform draws from 0..10 has mean 2.025; uniform is 4.5.
        let mean = picks as f64 / 2000.0;
        assert!(mean < 3.0, "mean pick {mean}");
        assert_eq!(tournament(1, 5, &mut rng), 0);
    }

    #[test]
    fn crossover_takes_every_gene_from_a_parent() {
        use super::super::genome::Gene;
        let a = Genome(vec![Gene::dense(0); 20]);
        let b = Genome(vec![Gene::dense(1); 20]);
        let mut rng = Rng::new(2);
        let c = crossover(&a, &b, &mut rng);
        assert!(c.0.iter().all(|g| g.bits <= 1));
        assert!(c.0.iter().any(|g| g.bits == 0) && c.0.iter().any(|g| g.bits == 1));
    }
}
