//! The version-1 envelope byte layout (documented in the parent module): a bounds-checked
//! reader and writer, field limits, and the canonical-object check shared by both sides.

use serde_json::Value;
use shoal_crypto::PublicKey;

use super::{
    Envelope, EnvelopeBody, EnvelopeError, Extension, ExtensionKind, ENVELOPE_VERSION, MAGIC,
    MAX_COMMUNITY_LEN, MAX_OBJECT_DEPTH,
};
use crate::jcs;
use crate::json;
use crate::tlp::Tlp;

const SIGNATURE_LEN: usize = 64;

/// Encode the signed part of an envelope.
pub(super) fn encode_body(body: &EnvelopeBody) -> Result<Vec<u8>, EnvelopeError> {
    if !body.tlp.is_shareable() {
        return Err(EnvelopeError::NotShareable(body.tlp));
    }
    check_community(body.community.as_bytes())?;
    let object_len = u32::try_from(body.object.len())
        .map_err(|_| EnvelopeError::ObjectTooLarge(body.object.len()))?;
    check_object(&body.object)?;
    let ext_count = u16::try_from(body.extensions.len())
        .map_err(|_| EnvelopeError::TooManyExtensions(body.extensions.len()))?;
    check_extension_order(body.extensions.iter().map(|e| e.kind.0))?;
    let community_len =
        u8::try_from(body.community.len()).map_err(|_| EnvelopeError::CommunityTooLong {
            len: body.community.len(),
            max: MAX_COMMUNITY_LEN,
        })?;

    let mut out = Vec::with_capacity(body.object.len().saturating_add(128));
    out.extend_from_slice(MAGIC);
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(&body.publisher.0);
    out.extend_from_slice(&body.ledger_index.to_be_bytes());
    out.extend_from_slice(&body.published_at.to_be_bytes());
    out.push(body.tlp.to_byte());
    out.push(community_len);
    out.extend_from_slice(body.community.as_bytes());
    out.extend_from_slice(&object_len.to_be_bytes());
    out.extend_from_slice(&body.object);
    out.extend_from_slice(&ext_count.to_be_bytes());
    for ext in &body.extensions {
        let len = u32::try_from(ext.data.len()).map_err(|_| EnvelopeError::ExtensionTooLarge {
            kind: ext.kind.0,
            len: ext.data.len(),
        })?;
        out.extend_from_slice(&ext.kind.0.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&ext.data);
    }
    Ok(out)
}

/// Decode an envelope; also returns the length of the signed prefix.
pub(super) fn decode(bytes: &[u8], max_len: usize) -> Result<(Envelope, usize), EnvelopeError> {
    if bytes.len() > max_len {
        return Err(EnvelopeError::TooLarge {
            len: bytes.len(),
            max: max_len,
        });
    }
    let mut r = Reader { bytes, pos: 0 };
    if r.take(MAGIC.len(), "magic")? != MAGIC {
        return Err(EnvelopeError::BadMagic);
    }
    let version = r.u8("version")?;
    if version != ENVELOPE_VERSION {
        return Err(EnvelopeError::UnsupportedVersion(version));
    }
    let publisher = PublicKey(r.array::<32>("publisher")?);
    let ledger_index = u64::from_be_bytes(r.array::<8>("ledger_index")?);
    let published_at = u64::from_be_bytes(r.array::<8>("published_at")?);
    let tlp_byte = r.u8("tlp")?;
    let tlp = Tlp::from_byte(tlp_byte).ok_or(EnvelopeError::InvalidTlp(tlp_byte))?;
    if !tlp.is_shareable() {
        return Err(EnvelopeError::NotShareable(tlp));
    }
    let community_len = usize::from(r.u8("community length")?);
    let community_bytes = r.take(community_len, "community")?;
    check_community(community_bytes)?;
    let community = std::str::from_utf8(community_bytes)
        .map_err(|_| EnvelopeError::CommunityNotUtf8)?
        .to_owned();
    let object_len = usize::try_from(u32::from_be_bytes(r.array::<4>("object length")?))
        .map_err(|_| EnvelopeError::Truncated { field: "object" })?;
    let object = r.take(object_len, "object")?.to_vec();
    check_object(&object)?;
    let ext_count = u16::from_be_bytes(r.array::<2>("extension count")?);
    let mut extensions = Vec::new();
    for _ in 0..ext_count {
        let kind = u16::from_be_bytes(r.array::<2>("extension kind")?);
        let len = usize::try_from(u32::from_be_bytes(r.array::<4>("extension length")?)).map_err(
            |_| EnvelopeError::Truncated {
                field: "extension data",
            },
        )?;
        let data = r.take(len, "extension data")?.to_vec();
        extensions.push(Extension {
            kind: ExtensionKind(kind),
            data,
        });
    }
    check_extension_order(extensions.iter().map(|e| e.kind.0))?;
    let signed_len = r.pos;
    let signature = r.array::<SIGNATURE_LEN>("signature")?;
    let trailing = bytes.len().saturating_sub(r.pos);
    if trailing != 0 {
        return Err(EnvelopeError::TrailingBytes(trailing));
    }
    let body = EnvelopeBody {
        publisher,
        ledger_index,
        published_at,
        tlp,
        community,
        object,
        extensions,
    };
    Ok((Envelope { body, signature }, signed_len))
}

/// Parse object bytes as strict JSON (no duplicate names, bounded depth).
pub(super) fn parse_object(object: &[u8]) -> Result<Value, EnvelopeError> {
    json::parse_strict(object, MAX_OBJECT_DEPTH).map_err(EnvelopeError::ObjectNotJson)
}

/// The object must be a JSON object already in RFC 8785 canonical form.
fn check_object(object: &[u8]) -> Result<(), EnvelopeError> {
    let value = parse_object(object)?;
    let Value::Object(map) = &value else {
        return Err(EnvelopeError::ObjectNotAnObject);
    };
    let canonical = jcs::canonicalize_object(map).map_err(EnvelopeError::Canonicalization)?;
    if canonical != object {
        return Err(EnvelopeError::ObjectNotCanonical);
    }
    Ok(())
}

/// Community names: 1..=64 bytes of `[a-z0-9._-]` (UTF-8 checked first).
pub(super) fn check_community(bytes: &[u8]) -> Result<(), EnvelopeError> {
    if bytes.is_empty() {
        return Err(EnvelopeError::EmptyCommunity);
    }
    if bytes.len() > MAX_COMMUNITY_LEN {
        return Err(EnvelopeError::CommunityTooLong {
            len: bytes.len(),
            max: MAX_COMMUNITY_LEN,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| EnvelopeError::CommunityNotUtf8)?;
    if !text
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-'))
    {
        return Err(EnvelopeError::InvalidCommunity(text.to_owned()));
    }
    Ok(())
}

/// Extension kinds must be strictly increasing.
fn check_extension_order(kinds: impl Iterator<Item = u16>) -> Result<(), EnvelopeError> {
    let mut previous: Option<u16> = None;
    for kind in kinds {
        match previous {
            Some(p) if p == kind => return Err(EnvelopeError::DuplicateExtension(kind)),
            Some(p) if p > kind => {
                return Err(EnvelopeError::ExtensionsOutOfOrder { previous: p, kind })
            }
            _ => {}
        }
        previous = Some(kind);
    }
    Ok(())
}

/// A bounds-checked cursor over untrusted bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], EnvelopeError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(EnvelopeError::Truncated { field })?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or(EnvelopeError::Truncated { field })?;
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], EnvelopeError> {
        self.take(N, field)?
            .try_into()
            .map_err(|_| EnvelopeError::Truncated { field })
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, EnvelopeError> {
        Ok(u8::from_be_bytes(self.array::<1>(field)?))
    }
}
