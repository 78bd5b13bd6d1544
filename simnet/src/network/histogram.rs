//! A latency histogram with logarithmic bins (1% apart, from 0.01 ms to beyond an
//! hour), so billions of deliveries cost a few kilobytes and percentiles are exact to
//! about 1%.

/// Bins per factor of e: ln(1.01)⁻¹ ≈ 100.5.
const PER_E: f64 = 100.498_341_7;
/// The smallest latency told apart (ms).
const FLOOR_MS: f64 = 0.01;
/// Bins (up to ~10⁴ s).
const BINS: usize = 2_200;

/// The histogram.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BINS],
            total: 0,
        }
    }
}

fn bin(ms: f64) -> usize {
    if ms.is_nan() || ms <= FLOOR_MS {
        return 0;
    }
    ((ms / FLOOR_MS).ln() * PER_E)
        .floor()
        .clamp(0.0, (BINS - 1) as f64) as usize
}

fn value(bin: usize) -> f64 {
    FLOOR_MS * ((bin as f64 + 0.5) / PER_E).exp()
}

impl Histogram {
    /// Count one latency (ms).
    pub fn add(&mut self, ms: f64) {
        if let Some(c) = self.counts.get_mut(bin(ms)) {
            *c += 1;
            self.total += 1;
        }
    }

    /// How many were counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The `q`-quantile (0 when empty).
    pub fn percentile(&self, q: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                // Rounded to 0.01 ms so results are stable text.
                return (value(i) * 100.0).round() / 100.0;
            }
        }
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_one_percent() {
        let mut h = Histogram::default();
        for i in 1..=1000 {
            h.add(i as f64);
        }
        assert_eq!(h.count(), 1000);
        for (q, want) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0)] {
            let got = h.percentile(q);
            assert!((got - want).abs() / want < 0.011, "{q}: {got} vs {want}");
        }
        assert_eq!(Histogram::default().percentile(0.5), 0.0);
    }
}
