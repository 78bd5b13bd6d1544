//! Differential privacy (being written).
