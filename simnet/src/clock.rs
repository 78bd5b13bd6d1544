//! A virtual clock and a deterministic event queue: events fire in time order and,
//! at equal times, in insertion order, so a run depends only on its inputs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Virtual time in microseconds since the start of a run.
pub type Micros = u64;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Slot<E: Ord> {
    at: Micros,
    seq: u64,
    event: E,
}

/// A priority queue of timed events.
#[derive(Debug)]
pub struct EventQueue<E: Ord> {
    now: Micros,
    seq: u64,
    heap: BinaryHeap<Reverse<Slot<E>>>,
}

impl<E: Ord> Default for EventQueue<E> {
    fn default() -> Self {
        Self {
            now: 0,
            seq: 0,
            heap: BinaryHeap::new(),
        }
    }
}

impl<E: Ord> EventQueue<E> {
    /// An empty queue at time 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Current virtual time.
    pub fn now(&self) -> Micros {
        self.now
    }

    /// Schedule `event` after `delay` microseconds.
    pub fn schedule(&mut self, delay: Micros, event: E) {
        let at = self.now.saturating_add(delay);
        self.seq += 1;
        self.heap.push(Reverse(Slot {
            at,
            seq: self.seq,
            event,
        }));
    }

    /// Advance to the next event and return it.
    pub fn pop(&mut self) -> Option<(Micros, E)> {
        let Reverse(slot) = self.heap.pop()?;
        self.now = slot.at;
        Some((slot.at, slot.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_fire_in_time_then_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(10, 'b');
        q.schedule(5, 'a');
        q.schedule(10, 'c');
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, vec![(5, 'a'), (10, 'b'), (10, 'c')]);
        assert_eq!(q.now(), 10);
    }
}
