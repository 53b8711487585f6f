//! Pareto dominance (every objective minimised), front extraction, non-dominated
//! sorting and crowding distance (NSGA-II, Deb et al. 2002).

use std::cmp::Ordering;

/// True when `a` dominates `b`: no objective worse and at least one better.
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut better = false;
    for (x, y) in a.iter().zip(b) {
        if x > y {
            return false;
        }
        if x < y {
            better = true;
        }
    }
    better
}

/// Indices of the non-dominated points, ascending. Of several identical points
/// only the first is kept.
pub fn front_indices(points: &[Vec<f64>]) -> Vec<usize> {
    (0..points.len())
        .filter(|&i| {
            !points.iter().enumerate().any(|(j, q)| {
                dominates(q, &points[i]) || (j < i && q.as_slice() == points[i].as_slice())
            })
        })
        .collect()
}

/// Non-domination rank of every point (0 = the front), by repeated peeling.
pub fn ranks(points: &[Vec<f64>]) -> Vec<usize> {
    let n = points.len();
    let mut dominated_by = vec![0usize; n];
    let mut dominates_list: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in (i + 1)..n {
            if dominates(&points[i], &points[j]) {
                dominates_list[i].push(j);
                dominated_by[j] += 1;
            } else if dominates(&points[j], &points[i]) {
                dominates_list[j].push(i);
                dominated_by[i] += 1;
            }
        }
    }
    let mut rank = vec![0usize; n];
    let mut current: Vec<usize> = (0..n).filter(|&i| dominated_by[i] == 0).collect();
    let mut r = 0;
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            rank[i] = r;
            for &j in &dominates_list[i] {
                dominated_by[j] -= 1;
                if dominated_by[j] == 0 {
                    next.push(j);
                }
            }
        }
        next.sort_unstable();
        current = next;
        r += 1;
    }
    rank
}

/// Crowding distance of each point within `members` (indices into `points`),
/// returned in `members` order; boundary points get infinity.
pub fn crowding(points: &[Vec<f64>], members: &[usize]) -> Vec<f64> {
    let n = members.len();
    let mut d = vec![0.0f64; n];
    if n <= 2 {
        return vec![f64::INFINITY; n];
    }
    let m = points[members[0]].len();
    let mut order: Vec<usize> = (0..n).collect();
    // `k` is the objective index inside each point, not an index into `points`.
    #[allow(clippy::needless_range_loop)]
    for k in 0..m {
        order.sort_by(|&a, &b| {
            points[members[a]][k]
                .total_cmp(&points[members[b]][k])
                .then(a.cmp(&b))
        });
        let lo = points[members[order[0]]][k];
        let hi = points[members[order[n - 1]]][k];
        d[order[0]] = f64::INFINITY;
        d[order[n - 1]] = f64::INFINITY;
        let span = hi - lo;
        if span <= 0.0 || !span.is_finite() {
            continue;
        }
        for w in 1..n - 1 {
            let gap = points[members[order[w + 1]]][k] - points[members[order[w - 1]]][k];
            d[order[w]] += gap / span;
        }
    }
    d
}

/// Lexicographic order of objective vectors (total, NaN-safe).
pub fn lex_cmp(a: &[f64], b: &[f64]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match x.total_cmp(y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominance_needs_one_strictly_better_objective() {
        assert!(dominates(&[1.0, 2.0], &[1.0, 3.0]));
        assert!(!dominates(&[1.0, 2.0], &[1.0, 2.0]));
        assert!(!dominates(&[1.0, 4.0], &[2.0, 3.0]));
    }

    #[test]
    fn front_of_a_known_set() {
        let p = vec![
            vec![1.0, 5.0],
            vec![2.0, 2.0],
            vec![3.0, 3.0],
            vec![5.0, 1.0],
            vec![2.0, 2.0],
        ];
        assert_eq!(front_indices(&p), vec![0, 1, 3]);
        assert_eq!(ranks(&p), vec![0, 0, 1, 0, 0]);
    }

    #[test]
    fn crowding_favours_isolated_points() {
        let p = vec![
            vec![0.0, 10.0],
            vec![1.0, 9.0],
            vec![1.1, 8.9],
            vec![5.0, 5.0],
            vec![10.0, 0.0],
        ];
        let d = crowding(&p, &[0, 1, 2, 3, 4]);
        assert!(d[0].is_infinite() && d[4].is_infinite());
        assert!(d[3] > d[1] && d[3] > d[2]);
    }
}
