//! The byte-level primitives of the wire format: a bounds-checked reader that checks every
//! length and count against a limit before allocating, and the matching writer helpers.

use shoal_crypto::PublicKey;

use super::{WireError, MAGIC, WIRE_VERSION};

/// Start a message: magic, version and tag.
pub(super) fn header(tag: u8, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity.saturating_add(MAGIC.len().saturating_add(2)));
    out.extend_from_slice(MAGIC);
    out.push(WIRE_VERSION);
    out.push(tag);
    out
}

/// A `u32` length or count prefix. Lengths above `u32::MAX` cannot be represented; they
/// are written as `u32::MAX`, which every decoder limit refuses.
pub(crate) fn put_u32(out: &mut Vec<u8>, n: usize) {
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    out.extend_from_slice(&n.to_be_bytes());
}

/// Length-prefixed bytes.
pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// A bounds-checked cursor over untrusted bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Check the overall size, magic and version; return the reader and the tag byte.
    pub(super) fn open(bytes: &'a [u8], max_len: usize) -> Result<(Self, u8), WireError> {
        if bytes.len() > max_len {
            return Err(WireError::TooLarge {
                len: bytes.len(),
                max: max_len,
            });
        }
        let mut r = Reader { bytes, pos: 0 };
        if r.take(MAGIC.len(), "magic")? != MAGIC {
            return Err(WireError::BadMagic);
        }
        let version = r.u8("version")?;
        if version != WIRE_VERSION {
            return Err(WireError::UnsupportedVersion(version));
        }
        let tag = r.u8("tag")?;
        Ok((r, tag))
    }

    /// A reader over bytes without a message header (records the crate stores).
    pub(crate) fn plain(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(WireError::Truncated { field })?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or(WireError::Truncated { field })?;
        self.pos = end;
        Ok(slice)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], WireError> {
        self.take(N, field)?
            .try_into()
            .map_err(|_| WireError::Truncated { field })
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, WireError> {
        Ok(u8::from_be_bytes(self.array::<1>(field)?))
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array::<8>(field)?))
    }

    pub(crate) fn public_key(&mut self, field: &'static str) -> Result<PublicKey, WireError> {
        Ok(PublicKey(self.array::<32>(field)?))
    }

    /// A `u32` length prefix, refused if above `max`, then that many bytes.
    pub(crate) fn bytes(&mut self, field: &'static str, max: usize) -> Result<&'a [u8], WireError> {
        let len = u32::from_be_bytes(self.array::<4>(field)?);
        let too_long = WireError::FieldTooLong {
            field,
            len: u64::from(len),
            max,
        };
        let len = usize::try_from(len).map_err(|_| too_long.clone())?;
        if len > max {
            return Err(too_long);
        }
        self.take(len, field)
    }

    /// Length-prefixed UTF-8 text of at most `max` bytes.
    pub(crate) fn string(&mut self, field: &'static str, max: usize) -> Result<String, WireError> {
        let bytes = self.bytes(field, max)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| WireError::NotUtf8 { field })
    }

    /// A `u32` count prefix, refused if above `max` or if `count` entries of at least
    /// `min_entry_bytes` each cannot fit in the remaining input. The result is therefore
    /// safe to use as a `Vec` capacity.
    pub(crate) fn count(
        &mut self,
        field: &'static str,
        max: usize,
        min_entry_bytes: usize,
    ) -> Result<usize, WireError> {
        let count = u32::from_be_bytes(self.array::<4>(field)?);
        let too_many = WireError::TooMany {
            field,
            count: u64::from(count),
            max,
        };
        let count = usize::try_from(count).map_err(|_| too_many.clone())?;
        if count > max {
            return Err(too_many);
        }
        let needed = count
            .checked_mul(min_entry_bytes)
            .ok_or(WireError::Truncated { field })?;
        if needed > self.remaining() {
            return Err(WireError::Truncated { field });
        }
        Ok(count)
    }

    /// The message must end here.
    pub(crate) fn finish(self) -> Result<(), WireError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(WireError::TrailingBytes(n)),
        }
    }
}
