//! Tiled storage of perfect-subtree hashes. With `H` = [`TILE_HEIGHT`], a tile at
//! tile-level `T` and index `N` holds every node of tree levels `HT ..= HT+H-1` inside
//! the height-`H` subtree whose level-`HT` nodes are `N·2^H .. (N+1)·2^H`:
//! 2^H + … + 2 = 2^(H+1) − 2 hash slots and a presence bitmap. An inclusion proof
//! then reads about one tile per `H` levels instead of one record per level, and the
//! store holds about 1/2^H as many hash records, which keeps sled's page table small
//! as the log grows. Tiles stay around 1 KiB so that sled's pages stay below its
//! blob threshold (larger pages go to separate files and make reads slow).

use shoal_crypto::merkle::StoredNode;
use shoal_crypto::Hash;

/// Tree levels per tile.
pub const TILE_HEIGHT: u8 = 5;
/// Hash slots per tile.
pub const TILE_SLOTS: usize = (2 << TILE_HEIGHT) - 2;
const BITMAP_LEN: usize = TILE_SLOTS.div_ceil(8);
/// Encoded size of a tile.
pub const TILE_BYTES: usize = BITMAP_LEN + TILE_SLOTS * 32;

/// The tile holding node (level, index), and the slot inside it.
pub fn locate(level: u8, index: u64) -> ((u8, u64), usize) {
    let tile_level = level / TILE_HEIGHT;
    let r = u32::from(level % TILE_HEIGHT);
    let width = u32::from(TILE_HEIGHT) - r; // log2 of the nodes of stratum r in one tile
    let tile_index = index >> width;
    let pos = (index & ((1u64 << width) - 1)) as usize;
    let offset = (2usize << TILE_HEIGHT) - ((2usize << TILE_HEIGHT) >> r);
    ((tile_level, tile_index), offset + pos)
}

/// One tile's bytes, mutable while a batch is staged.
#[derive(Clone)]
pub struct Tile(Vec<u8>);

impl Tile {
    /// An empty tile.
    pub fn empty() -> Self {
        Tile(vec![0; TILE_BYTES])
    }

    /// A tile from stored bytes; `None` if the length is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        (bytes.len() == TILE_BYTES).then(|| Tile(bytes.to_vec()))
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The hash in `slot`, if present.
    pub fn get(bytes: &[u8], slot: usize) -> Option<Hash> {
        let present = bytes
            .get(slot / 8)
            .is_some_and(|b| b & (1 << (slot % 8)) != 0);
        if !present {
            return None;
        }
        let start = BITMAP_LEN + slot * 32;
        bytes.get(start..start + 32)?.try_into().ok()
    }

    /// Set `slot` to `hash`.
    pub fn set(&mut self, slot: usize, hash: &Hash) {
        if slot >= TILE_SLOTS {
            return;
        }
        if let Some(b) = self.0.get_mut(slot / 8) {
            *b |= 1 << (slot % 8);
        }
        let start = BITMAP_LEN + slot * 32;
        if let Some(dst) = self.0.get_mut(start..start + 32) {
            dst.copy_from_slice(hash);
        }
    }
}

/// Group nodes by tile, in a stable order.
pub fn group(nodes: &[StoredNode]) -> std::collections::BTreeMap<(u8, u64), Vec<(usize, Hash)>> {
    let mut out: std::collections::BTreeMap<(u8, u64), Vec<(usize, Hash)>> = Default::default();
    for n in nodes {
        let (tile, slot) = locate(n.level, n.index);
        out.entry(tile).or_default().push((slot, n.hash));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_node_of_a_tile_has_its_own_slot() {
        let mut seen = std::collections::HashSet::new();
        for r in 0..TILE_HEIGHT {
            for i in 0..((1u64 << TILE_HEIGHT) >> r) {
                let ((t, n), slot) = locate(r, i);
                assert_eq!((t, n), (0, 0));
                assert!(slot < TILE_SLOTS);
                assert!(seen.insert(slot));
            }
        }
        assert_eq!(seen.len(), TILE_SLOTS);
        // With H = 5: 62 slots; stratum offsets 0, 32, 48, 56, 60.
        assert_eq!(TILE_SLOTS, 62);
        assert_eq!(locate(5, 3), ((1, 0), 3));
        assert_eq!(locate(0, 32), ((0, 1), 0));
        assert_eq!(locate(6, 16), ((1, 1), 32));
        assert_eq!(locate(4, 3), ((0, 1), 61));
        assert_eq!(locate(63, 0), ((12, 0), 56));
    }

    #[test]
    fn set_then_get() {
        let mut t = Tile::empty();
        assert_eq!(Tile::get(t.as_bytes(), 7), None);
        t.set(7, &[9; 32]);
        assert_eq!(Tile::get(t.as_bytes(), 7), Some([9; 32]));
        assert_eq!(Tile::get(t.as_bytes(), 8), None);
    }
}
