//! The lexical rules of signed notes: valid key names, valid note text, and the
//! limits this implementation enforces on untrusted notes.

use super::error::NoteError;

/// Largest signed note [`super::Note::parse`] accepts, in bytes.
pub const MAX_NOTE_BYTES: usize = 1 << 20;

/// Most signatures [`super::Note::parse`] accepts (the spec requires at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// Check a key name: non-empty, with no Unicode spaces, `+` or control characters.
pub fn validate_name(name: &str) -> Result<(), NoteError> {
    let bad = |c: char| c.is_whitespace() || c == '+' || c.is_control();
    if name.is_empty() || name.chars().any(bad) {
        return Err(NoteError::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// Check note text: non-empty, ending in a newline, no ASCII control characters
/// other than newline, and within [`MAX_NOTE_BYTES`].
pub fn validate_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() {
        return Err(NoteError::EmptyText);
    }
    if text.len() > MAX_NOTE_BYTES {
        return Err(NoteError::TooLarge {
            size: text.len(),
            max: MAX_NOTE_BYTES,
        });
    }
    check_controls(text)?;
    if !text.ends_with('\n') {
        return Err(NoteError::MissingFinalNewline);
    }
    Ok(())
}

/// Reject ASCII control characters other than newline.
pub(crate) fn check_controls(s: &str) -> Result<(), NoteError> {
    match s.bytes().position(|b| b < 0x20 && b != b'\n') {
        Some(offset) => Err(NoteError::ControlCharacter { offset }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["PeterNeumann", "example.com/log42", "é/ü"] {
            assert_eq!(validate_name(ok), Ok(()));
        }
        for bad in [
            "",
            "a b",
            "a+b",
            "a\tb",
            "a\u{a0}b",
            "a\u{3000}b",
            "a\u{1}b",
            "a\nb",
        ] {
            assert!(
                matches!(validate_name(bad), Err(NoteError::InvalidName(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn texts() {
        assert_eq!(validate_text("hello\n"), Ok(()));
        assert_eq!(validate_text("\n"), Ok(()));
        assert_eq!(validate_text("a\n\nb\n"), Ok(()));
        assert_eq!(validate_text(""), Err(NoteError::EmptyText));
        assert_eq!(validate_text("hello"), Err(NoteError::MissingFinalNewline));
        assert_eq!(
            validate_text("he\rllo\n"),
            Err(NoteError::ControlCharacter { offset: 2 })
        );
        let big = "a".repeat(MAX_NOTE_BYTES) + "\n";
        assert!(matches!(
            validate_text(&big),
            Err(NoteError::TooLarge { .. })
        ));
    }
}
