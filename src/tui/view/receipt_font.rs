//! Large type for the 受付番号 so an operator reads it back without squinting: a 3×5 font
//! of digits and a few signs. Drawn as reversed spaces (no glyph at all, so no width
//! ambiguity) or as `#` in ASCII mode; anything else falls back to plain bold text.

const H: usize = 5;

fn glyph(c: char) -> Option<[&'static str; H]> {
    Some(match c {
        '0' => ["###", "# #", "# #", "# #", "###"],
        '1' => [" # ", "## ", " # ", " # ", "###"],
        '2' => ["###", "  #", "###", "#  ", "###"],
        '3' => ["###", "  #", "###", "  #", "###"],
        '4' => ["# #", "# #", "###", "  #", "  #"],
        '5' => ["###", "#  ", "###", "  #", "###"],
        '6' => ["###", "#  ", "###", "# #", "###"],
        '7' => ["###", "  #", "  #", "  #", "  #"],
        '8' => ["###", "# #", "###", "# #", "###"],
        '9' => ["###", "# #", "###", "  #", "###"],
        '-' => ["   ", "   ", "###", "   ", "   "],
        'R' => ["## ", "# #", "## ", "# #", "# #"],
        'A' => ["###", "# #", "###", "# #", "# #"],
        'C' => ["###", "#  ", "#  ", "#  ", "###"],
        'H' => ["# #", "# #", "###", "# #", "# #"],
        'M' => ["# #", "###", "###", "# #", "# #"],
        'U' => ["# #", "# #", "# #", "# #", "###"],
        'K' => ["# #", "## ", "#  ", "## ", "# #"],
        _ => return None,
    })
}

/// The five rows of `s` in large type (each char 3 cells + 1 gap), or `None` when a
/// character has no glyph or the result would not fit in `max_width` cells.
pub fn render(s: &str, max_width: usize) -> Option<Vec<String>> {
    let glyphs: Option<Vec<_>> = s.chars().map(|c| glyph(c.to_ascii_uppercase())).collect();
    let glyphs = glyphs?;
    if glyphs.is_empty() || glyphs.len() * 4 > max_width + 1 {
        return None;
    }
    Some((0..H).map(|row| glyphs.iter().map(|g| g[row]).collect::<Vec<_>>().join(" ")).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_render_five_rows() {
        let rows = super::render("R-0123", 80).expect("renders");
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.len() == 6 * 4 - 1));
        assert!(super::render("受付", 80).is_none());
        assert!(super::render("1234567890123456789012", 40).is_none());
    }
}
