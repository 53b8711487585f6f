//! The datapath tables IFAT, IFRT and OFAT (docs/epitome.md#datapath).
//!
//! Patterns are the distinct group offsets in order of first appearance
//! ([`EpitomeSpec::patterns`]); pattern `p` is the table's first address
//! field. A *word line* is one crossbar row, i.e. one epitome element
//! `(e, p, q)` of an epitome channel, numbered `word_line = (e*e_h + p)*e_w + q`
//! (rows of all crossbars of a layer, concatenated, channels packed whole).
//! A *column* is one epitome output row `r` (one crossbar bit-line group).
//!
//! Entry layouts and widths (`bits(n) = max(1, ceil(log2 n))`, the bits that
//! address `n` values):
//!
//! | table | one entry per | fields | bits per entry |
//! |---|---|---|---|
//! | IFAT | (pattern, word line, input) | word line, `i`, `dy`, `dx` | `bits(e_in*e_h*e_w) + bits(c_in) + bits(k_h) + bits(k_w)` |
//! | IFRT | (pattern, word line with fan-in > 1) | word line, fan-in | `bits(e_in*e_h*e_w) + bits(max fan-in + 1)` |
//! | OFAT | (pattern, column, output channel) | column `r`, channel `o` | `bits(e_out) + bits(c_out)` |
//!
//! The JSON form groups IFAT entries by word line (`inputs` lists the
//! `(i, dy, dx)` addresses) and OFAT entries by column (`channels`); the entry
//! counts above count the flattened rows. Word lines absent from IFAT are idle
//! for that pattern (driven with 0).

use serde::{Deserialize, Serialize};

use crate::epitome::spec::EpitomeSpec;
use crate::error::{Error, Result};
use crate::limits::MAX_TABLE_ENTRIES;

/// IFAT: the input-feature addresses that drive one word line for one pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct IfatEntry {
    /// Pattern id.
    pub pattern: usize,
    /// Word line `(e*e_h + p)*e_w + q`.
    pub word_line: usize,
    /// The word line's `[e, p, q]`: epitome channel, row and column.
    pub word_line_epq: [usize; 3],
    /// `[i, dy, dx]`: input channel `i` with `(a + i) % e_in == e`, kernel row
    /// `dy = p - b` and column `dx = q - c` (both inside the kernel).
    pub inputs: Vec<[usize; 3]>,
}

/// IFRT: a word line fed by several inputs (input wrapping); they are summed
/// digitally before the DAC so the line is driven once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct IfrtEntry {
    /// Pattern id.
    pub pattern: usize,
    /// Word line.
    pub word_line: usize,
    /// The word line's `[e, p, q]`.
    pub word_line_epq: [usize; 3],
    /// Number of inputs summed (> 1).
    pub fan_in: usize,
    /// Extra input bits the sum needs, `ceil(log2 fan_in)`.
    pub extra_bits: u32,
}

/// OFAT: where column `r` of one pattern's result is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct OfatEntry {
    /// Pattern id.
    pub pattern: usize,
    /// Column = epitome output row `r`.
    pub column: usize,
    /// Output channels `o = g*e_out + r < c_out` of every group `g` with this
    /// pattern (more than one = output feature-map reuse).
    pub channels: Vec<usize>,
}

/// The three tables of one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct DatapathTables {
    /// Number of distinct patterns.
    pub patterns: usize,
    /// Input feature address table, ordered by pattern then word line.
    pub ifat: Vec<IfatEntry>,
    /// Input feature reuse table, ordered by pattern then word line.
    pub ifrt: Vec<IfrtEntry>,
    /// Output feature address table, ordered by pattern then column.
    pub ofat: Vec<OfatEntry>,
}

/// Entry counts and widths of the three tables, for area accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSizes {
    /// IFAT rows (one per pattern, word line and input address).
    pub ifat_entries: usize,
    /// Bits per IFAT row.
    pub ifat_entry_bits: u32,
    /// IFRT rows.
    pub ifrt_entries: usize,
    /// Bits per IFRT row.
    pub ifrt_entry_bits: u32,
    /// OFAT rows (one per pattern, column and output channel).
    pub ofat_entries: usize,
    /// Bits per OFAT row.
    pub ofat_entry_bits: u32,
}

impl TableSizes {
    /// Total storage of the three tables in bits.
    pub fn total_bits(&self) -> u64 {
        self.ifat_entries as u64 * u64::from(self.ifat_entry_bits)
            + self.ifrt_entries as u64 * u64::from(self.ifrt_entry_bits)
            + self.ofat_entries as u64 * u64::from(self.ofat_entry_bits)
    }
}

/// Bits that address `n` values: `max(1, ceil(log2 n))`.
pub fn address_bits(n: usize) -> u32 {
    if n <= 2 {
        1
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

/// `ceil(log2 n)` for `n >= 1` (0 for `n <= 1`).
pub fn ceil_log2(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

impl DatapathTables {
    /// Builds the tables from a spec (validated first).
    pub fn build(spec: &EpitomeSpec) -> Result<Self> {
        spec.validate()?;
        let (l, e) = (&spec.layer, &spec.epitome);
        let index = spec.pattern_index();
        let patterns = &index.patterns;
        // Every pattern lists each input once per kernel position, and the OFAT lists
        // every output channel once: bound the rows before building any.
        let rows = (patterns.len() as u64) * (l.c_in as u64) * (l.k_h as u64) * (l.k_w as u64)
            + l.c_out as u64;
        if rows > MAX_TABLE_ENTRIES as u64 {
            return Err(Error::invalid(
                "layer",
                format!(
                    "the datapath tables would have {rows} rows ({} patterns x c_in*k_h*k_w + c_out); at most {MAX_TABLE_ENTRIES}",
                    patterns.len()
                ),
            ));
        }
        let mut ifat = Vec::new();
        let mut ifrt = Vec::new();
        let mut ofat = Vec::new();
        // Inputs by epitome channel for one pattern, reused; only the channels a
        // pattern touches are visited and cleared: O(c_in log c_in) per pattern,
        // never O(e_in) (e_in can be 65,536 with as many patterns).
        let mut by_channel: Vec<Vec<usize>> = vec![Vec::new(); e.e_in];
        let mut touched: Vec<usize> = Vec::new();
        for (pid, &[a, b, c]) in patterns.iter().enumerate() {
            for &ch in &touched {
                by_channel[ch].clear();
            }
            touched.clear();
            for i in 0..l.c_in {
                let ch = (a + i) % e.e_in;
                if by_channel[ch].is_empty() {
                    touched.push(ch);
                }
                by_channel[ch].push(i);
            }
            touched.sort_unstable();
            for &ch in &touched {
                // i with (a + i) % e_in == ch.
                let chans = &by_channel[ch];
                for p in b..b + l.k_h {
                    for q in c..c + l.k_w {
                        let word_line = (ch * e.e_h + p) * e.e_w + q;
                        let inputs: Vec<[usize; 3]> =
                            chans.iter().map(|&i| [i, p - b, q - c]).collect();
                        if inputs.len() > 1 {
                            ifrt.push(IfrtEntry {
                                pattern: pid,
                                word_line,
                                word_line_epq: [ch, p, q],
                                fan_in: inputs.len(),
                                extra_bits: ceil_log2(inputs.len()),
                            });
                        }
                        ifat.push(IfatEntry {
                            pattern: pid,
                            word_line,
                            word_line_epq: [ch, p, q],
                            inputs,
                        });
                    }
                }
            }
            let groups = &index.groups_of[pid];
            for r in 0..e.e_out {
                let channels: Vec<usize> = groups
                    .iter()
                    .map(|&g| g * e.e_out + r)
                    .filter(|&o| o < l.c_out)
                    .collect();
                if !channels.is_empty() {
                    ofat.push(OfatEntry {
                        pattern: pid,
                        column: r,
                        channels,
                    });
                }
            }
        }
        Ok(DatapathTables {
            patterns: patterns.len(),
            ifat,
            ifrt,
            ofat,
        })
    }

    /// Entry counts and widths (see the module docs for the layouts).
    pub fn sizes(&self, spec: &EpitomeSpec) -> TableSizes {
        let (l, e) = (&spec.layer, &spec.epitome);
        let wl_bits = address_bits(e.e_in * e.e_h * e.e_w);
        let max_fan_in = self.ifrt.iter().map(|r| r.fan_in).max().unwrap_or(1);
        TableSizes {
            ifat_entries: self.ifat.iter().map(|f| f.inputs.len()).sum(),
            ifat_entry_bits: wl_bits
                + address_bits(l.c_in)
                + address_bits(l.k_h)
                + address_bits(l.k_w),
            ifrt_entries: self.ifrt.len(),
            ifrt_entry_bits: wl_bits + address_bits(max_fan_in + 1),
            ofat_entries: self.ofat.iter().map(|f| f.channels.len()).sum(),
            ofat_entry_bits: address_bits(e.e_out) + address_bits(l.c_out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::epitome::spec::{EpitomeShape, LayerGeometry};

    #[test]
    fn widths_round_up() {
        assert_eq!(address_bits(1), 1);
        assert_eq!(address_bits(2), 1);
        assert_eq!(address_bits(3), 2);
        assert_eq!(address_bits(4), 2);
        assert_eq!(address_bits(5), 3);
        assert_eq!(ceil_log2(1), 0);
        assert_eq!(ceil_log2(2), 1);
        assert_eq!(ceil_log2(3), 2);
    }

    #[test]
    fn wrapped_inputs_share_word_lines_and_shared_patterns_share_columns() {
        // c_out 6 from e_out 2 (3 groups), c_in 4 on e_in 2, 1x1 kernel, all
        // offsets equal: one pattern, each word line fed by 2 inputs, each
        // column written to 3 channels.
        let mut spec = EpitomeSpec::unit_stride([6, 4, 1, 1], [2, 2, 1, 1]);
        spec.offsets = Some(vec![[0, 0, 0]; 3]);
        let t = DatapathTables::build(&spec).unwrap();
        assert_eq!(t.patterns, 1);
        assert_eq!(t.ifat[0].inputs, vec![[0, 0, 0], [2, 0, 0]]);
        assert_eq!(t.ifat[1].inputs, vec![[1, 0, 0], [3, 0, 0]]);
        assert_eq!(t.ifrt.len(), 2);
        assert!(t.ifrt.iter().all(|r| r.fan_in == 2 && r.extra_bits == 1));
        assert_eq!(t.ofat[0].channels, vec![0, 2, 4]);
        assert_eq!(t.ofat[1].channels, vec![1, 3, 5]);
        let s = t.sizes(&spec);
        assert_eq!((s.ifat_entries, s.ifrt_entries, s.ofat_entries), (4, 2, 6));
        // word line 1 bit + i 2 bits + dy 1 + dx 1.
        assert_eq!(s.ifat_entry_bits, 5);
        assert_eq!(s.total_bits(), 4 * 5 + 2 * (1 + 2) + 6 * (1 + 3));
    }

    #[test]
    fn word_line_epq_is_the_word_line_unflattened() {
        let mut spec = EpitomeSpec::new(
            LayerGeometry {
                c_out: 5,
                c_in: 3,
                k_h: 3,
                k_w: 2,
                stride: 1,
                padding: 1,
            },
            EpitomeShape {
                e_out: 2,
                e_in: 2,
                e_h: 4,
                e_w: 3,
            },
        );
        spec.offsets = Some(vec![[0, 0, 0], [1, 1, 1], [0, 1, 0]]);
        let t = DatapathTables::build(&spec).unwrap();
        let (e_h, e_w) = (4, 3);
        // Oracle: flatten (e, p, q) the documented way.
        let flat = |[e, p, q]: [usize; 3]| (e * e_h + p) * e_w + q;
        assert!(!t.ifat.is_empty() && !t.ifrt.is_empty());
        for f in &t.ifat {
            assert_eq!(flat(f.word_line_epq), f.word_line);
            assert!(f.word_line_epq[0] < 2 && f.word_line_epq[1] < e_h && f.word_line_epq[2] < e_w);
        }
        for r in &t.ifrt {
            assert_eq!(flat(r.word_line_epq), r.word_line);
        }
    }
}
