//! 応対記録: one phone call an operator took.
