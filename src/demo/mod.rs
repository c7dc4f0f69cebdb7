//! Deterministic demo data for the whole of Japan (see `generate`).
