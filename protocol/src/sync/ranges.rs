//! Half-open index ranges `[from, to)`: holes between held indices, subtraction, overlap
//! and splitting into request-sized chunks.

/// Sorted, disjoint half-open ranges.
pub(crate) type Ranges = Vec<(u64, u64)>;

/// The holes of `[from, to)` not covered by `held` (sorted, unique, inside `[from, to)`),
/// in order, capped at `max_leaves` leaves and `max_ranges` ranges.
pub(crate) fn holes(
    from: u64,
    to: u64,
    held: impl Iterator<Item = u64>,
    max_leaves: u64,
    max_ranges: usize,
) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut budget = max_leaves;
    let mut cursor = from;
    let mut push = |start: u64, end: u64, out: &mut Vec<(u64, u64)>| -> bool {
        if budget == 0 || out.len() >= max_ranges {
            return false;
        }
        let len = end.saturating_sub(start).min(budget);
        if len > 0 {
            out.push((start, start.saturating_add(len)));
            budget = budget.saturating_sub(len);
        }
        true
    };
    for index in held {
        if index > cursor && !push(cursor, index.min(to), &mut out) {
            return out;
        }
        cursor = cursor.max(index.saturating_add(1));
    }
    if cursor < to {
        push(cursor, to, &mut out);
    }
    out
}

/// `ranges` minus every range of `taken` (both sorted or not; the result is sorted if
/// `ranges` is).
pub(crate) fn subtract(ranges: &[(u64, u64)], taken: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut taken = taken.to_vec();
    taken.sort_unstable();
    let mut out = Vec::new();
    for &(from, to) in ranges {
        let mut cursor = from;
        for &(t_from, t_to) in &taken {
            if t_to <= cursor || t_from >= to {
                continue;
            }
            if t_from > cursor {
                out.push((cursor, t_from));
            }
            cursor = cursor.max(t_to);
            if cursor >= to {
                break;
            }
        }
        if cursor < to {
            out.push((cursor, to));
        }
    }
    out
}

/// Whether some range of `a` intersects some range of `b`.
pub(crate) fn overlaps(a: &[(u64, u64)], b: &[(u64, u64)]) -> bool {
    a.iter().any(|&(a_from, a_to)| {
        b.iter()
            .any(|&(b_from, b_to)| a_from < b_to && b_from < a_to)
    })
}

/// Split off the first request's worth of `ranges` (sorted, disjoint): at most
/// `max_leaves` leaves in at most `max_ranges` ranges. Returns (chunk, rest).
pub(crate) fn take_chunk(
    ranges: &[(u64, u64)],
    max_leaves: u64,
    max_ranges: usize,
) -> (Ranges, Ranges) {
    let mut chunk = Vec::new();
    let mut rest = Vec::new();
    let mut budget = max_leaves;
    for &(from, to) in ranges {
        if budget == 0 || chunk.len() >= max_ranges {
            rest.push((from, to));
            continue;
        }
        let len = to.saturating_sub(from);
        if len == 0 {
            continue;
        }
        let take = len.min(budget);
        let split = from.saturating_add(take);
        chunk.push((from, split));
        budget = budget.saturating_sub(take);
        if split < to {
            rest.push((split, to));
        }
    }
    (chunk, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_between_held_indices() {
        let held = [2u64, 3, 7];
        assert_eq!(
            holes(0, 10, held.into_iter(), u64::MAX, 64),
            [(0, 2), (4, 7), (8, 10)]
        );
        assert_eq!(holes(0, 10, held.into_iter(), 5, 64), [(0, 2), (4, 7)]);
        assert_eq!(holes(0, 10, held.into_iter(), 4, 64), [(0, 2), (4, 6)]);
        assert_eq!(
            holes(0, 10, held.into_iter(), u64::MAX, 2),
            [(0, 2), (4, 7)]
        );
        assert_eq!(holes(0, 4, [0, 1, 2, 3].into_iter(), 9, 9), []);
        assert_eq!(holes(5, 5, [].into_iter(), 9, 9), []);
    }

    #[test]
    fn subtract_cuts_out_taken_ranges() {
        assert_eq!(
            subtract(&[(0, 10), (20, 30)], &[(25, 40), (2, 4), (5, 6)]),
            [(0, 2), (4, 5), (6, 10), (20, 25)]
        );
        assert_eq!(subtract(&[(0, 10)], &[(0, 10)]), []);
        assert_eq!(subtract(&[(3, 5)], &[]), [(3, 5)]);
    }

    #[test]
    fn overlap_is_strict_for_half_open_ranges() {
        assert!(!overlaps(&[(0, 5)], &[(5, 9)]));
        assert!(overlaps(&[(0, 5), (10, 12)], &[(11, 20)]));
    }

    #[test]
    fn chunks_respect_both_caps() {
        let (chunk, rest) = take_chunk(&[(0, 3), (5, 10), (20, 21)], 5, 64);
        assert_eq!(chunk, [(0, 3), (5, 7)]);
        assert_eq!(rest, [(7, 10), (20, 21)]);
        let (chunk, rest) = take_chunk(&[(0, 3), (5, 10), (20, 21)], 100, 2);
        assert_eq!(chunk, [(0, 3), (5, 10)]);
        assert_eq!(rest, [(20, 21)]);
    }
}
