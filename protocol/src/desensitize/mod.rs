//! Desensitization (being written).
