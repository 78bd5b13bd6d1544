//! From a libp2p peer id back to the node's Ed25519 key: Shoal peer ids embed the key
//! (identity multihash), so the peer that authenticated the connection is the key its
//! admission certificate must name.

use libp2p::PeerId;
use shoal_crypto::keys::PublicKey;

/// The Ed25519 key inside an identity-multihash peer id; `None` for other id kinds.
pub fn public_key(peer: &PeerId) -> Option<PublicKey> {
    let mh = libp2p::multihash::Multihash::<64>::from_bytes(&peer.to_bytes()).ok()?;
    if mh.code() != 0 {
        return None;
    }
    let pk = libp2p::identity::PublicKey::try_decode_protobuf(mh.digest()).ok()?;
    let ed = pk.try_into_ed25519().ok()?;
    Some(PublicKey(ed.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_round_trips_to_the_key() {
        let key = shoal_crypto::NodeKey::from_seed([7u8; 32]);
        let peer = key.public().peer_id().ok();
        assert_eq!(peer.as_ref().and_then(public_key), Some(key.public()));
        assert_eq!(public_key(&PeerId::random()), None);
    }
}
