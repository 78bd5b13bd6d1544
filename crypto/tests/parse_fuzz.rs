//! Property tests: the text parsers (notes, verifier keys, checkpoints,
//! tlog-proofs) return typed errors, never panic, on arbitrary and mutated input.

use proptest::prelude::*;
use shoal_crypto::hash::leaf_hash;
use shoal_crypto::merkle::inclusion_proof;
use shoal_crypto::{Checkpoint, MemoryTree, NodeKey, Note, TlogProof, Verifier};

fn sample_proof() -> (String, Verifier) {
    let key = NodeKey::from_seed([3; 32]);
    let mut t = MemoryTree::new();
    for i in 0u8..11 {
        t.append(leaf_hash(&[i]));
    }
    let cp = Checkpoint {
        origin: "o.example/log".into(),
        size: 11,
        root: t.root(),
        extensions: vec!["ext".into()],
    };
    let p = TlogProof {
        extra: Some(vec![1, 2, 3]),
        index: 6,
        proof: inclusion_proof(&t, 6, 11).unwrap(),
        checkpoint: cp.sign(&key).unwrap(),
    };
    (
        p.to_text(),
        Verifier::new("o.example/log", key.public()).unwrap(),
    )
}

fn exercise(text: &str, v: &Verifier) {
    if let Ok(n) = Note::parse(text) {
        let _ = n.verify(v);
        let _ = Checkpoint::parse_body(&n.text);
        assert_eq!(Note::parse(&n.to_text()), Ok(n));
    }
    let _ = Checkpoint::open(text, v);
    let _ = Checkpoint::parse_body(text);
    let _ = Verifier::parse(text);
    if let Ok(p) = TlogProof::parse(text) {
        let _ = p.verify(&[6], v);
        assert_eq!(TlogProof::parse(&p.to_text()), Ok(p));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_text_never_panics(s in "(\\PC|\n|\u{2014} |\n\n|index |extra |\\+)*") {
        let (_, v) = sample_proof();
        exercise(&s, &v);
    }

    #[test]
    fn mutated_proofs_never_panic(
        pos in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        insert in prop_oneof![Just(""), Just("\n"), Just("\n\n"), Just("0"), Just("="), Just("\u{2014}"), Just(" ")],
        delete in 0usize..4,
    ) {
        let (text, v) = sample_proof();
        let chars: Vec<char> = text.chars().collect();
        let at = pos.index(chars.len());
        let end = (at + delete).min(chars.len());
        let mut mutated: String = chars[..at].iter().collect();
        mutated.push_str(insert);
        mutated.extend(&chars[end..]);
        exercise(&mutated, &v);
        let truncated: String = chars[..cut.index(chars.len())].iter().collect();
        exercise(&truncated, &v);
    }
}

#[test]
fn sample_proof_verifies() {
    let (text, v) = sample_proof();
    TlogProof::parse(&text).unwrap().verify(&[6], &v).unwrap();
}
