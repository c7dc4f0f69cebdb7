//! 変更履歴: the append-only, hash-chained audit trail.
