//! Placeholder lists for statements written once for a whole batch of rows (a group commit,
//! a bulk load): `$n` numbered on across the rows, as both engines bind them. Each row binds
//! `cols` values in order; where a row has an id, it is bound first.

/// `$first, …, $(first + count − 1)`.
pub(super) fn list(first: usize, count: usize) -> String {
    (first..first + count).map(|p| format!("${p}")).collect::<Vec<_>>().join(", ")
}

/// `rows` tuples of `cols` placeholders each, from `$1`: `($1, $2), ($3, $4)`.
pub(super) fn rows(rows: usize, cols: usize) -> String {
    (0..rows).map(|r| format!("({})", list(r * cols + 1, cols))).collect::<Vec<_>>().join(", ")
}

/// The value of column `col` (1-based, 2 and on) of each row, chosen by the row's id:
/// `CASE id WHEN $1 THEN $col WHEN $(cols + 1) THEN $(cols + col) … END`.
pub(super) fn case_by_id(rows: usize, cols: usize, col: usize) -> String {
    let whens: Vec<String> =
        (0..rows).map(|r| format!("WHEN ${} THEN ${}", r * cols + 1, r * cols + col)).collect();
    format!("CASE id {} END", whens.join(" "))
}

/// The rows' ids (each row's first value): `$1, $(cols + 1), …`.
pub(super) fn ids(rows: usize, cols: usize) -> String {
    (0..rows).map(|r| format!("${}", r * cols + 1)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_number_on_across_rows() {
        assert_eq!(list(4, 3), "$4, $5, $6");
        assert_eq!(list(1, 0), "");
        assert_eq!(rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(ids(3, 2), "$1, $3, $5");
        assert_eq!(case_by_id(2, 3, 3), "CASE id WHEN $1 THEN $3 WHEN $4 THEN $6 END");
    }
}
