//! What an SSH client tells about its terminal (the pty request's `TERM`, and `LANG`,
//! `LC_*`, `NO_COLOR`, `MADOGUCHI_KEYMAP` env requests) → the session's display settings:
//! ASCII or box drawing, colour or not, which built-in keymap. Pure, so the rules are tested
//! without a connection.

use crate::tui::terminal::locale_is_utf8_from;

/// The env variables a session accepts; anything else a client sends is ignored.
pub const ACCEPTED_ENV: &[&str] = &["LANG", "LC_ALL", "LC_CTYPE", "NO_COLOR", "MADOGUCHI_KEYMAP"];

/// Everything the client said about its terminal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientTerminal {
    /// From the pty request (`xterm-256color`, `vt100`, ...).
    pub term: String,
    /// Width in cells, from the pty request (and window changes).
    pub cols: u16,
    /// Height in lines, from the pty request (and window changes).
    pub rows: u16,
    /// Accepted env requests, in the order received (a later one wins).
    pub env: Vec<(String, String)>,
}

/// A session's display settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Display {
    /// ASCII borders and symbols.
    pub ascii: bool,
    /// Draw in colour.
    pub color: bool,
}

impl ClientTerminal {
    /// Records an env request if it is one the session uses; true when accepted.
    pub fn set_env(&mut self, name: &str, value: &str) -> bool {
        if !ACCEPTED_ENV.contains(&name) || value.len() > 256 {
            return false;
        }
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_string(), value.to_string()));
        true
    }

    /// The value of env request `name`, the latest one winning.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.env.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// ASCII when the client's locale says it is not UTF-8, or the terminal type is one that
    /// predates it (`vt100`, `vt220`, `linux`, `dumb`); when the client sends no locale at
    /// all (PuTTY, Windows OpenSSH and Tera Term send none by default) box drawing is kept,
    /// since their default character set is UTF-8. No colour with `NO_COLOR` (any value but
    /// empty) or a `dumb`/`vt100` terminal.
    pub fn display(&self) -> Display {
        let term = self.term.to_ascii_lowercase();
        let old_term = matches!(term.as_str(), "dumb" | "vt100" | "vt102" | "vt220" | "linux" | "ansi");
        let sent_locale =
            ["LC_ALL", "LC_CTYPE", "LANG"].iter().any(|k| self.env(k).is_some_and(|v| !v.is_empty()));
        let utf8 = if sent_locale { locale_is_utf8_from(|k| self.env(k).map(str::to_string)) } else { true };
        let no_color = self.env("NO_COLOR").is_some_and(|v| !v.is_empty());
        Display {
            ascii: !utf8 || old_term,
            color: !no_color && !matches!(term.as_str(), "dumb" | "vt100" | "vt102"),
        }
    }

    /// The built-in keymap asked for (`MADOGUCHI_KEYMAP=vim`); only built-in names, never a
    /// path (a client must not make the server read files).
    pub fn keymap_name(&self) -> &str {
        match self.env("MADOGUCHI_KEYMAP") {
            Some("vim") => "vim",
            _ => "default",
        }
    }
}

/// The widest and tallest terminal a session draws: a 4K screen filled with a 9-pixel font
/// is about 420×160. Each cell costs the console two buffers' worth of memory and a redraw,
/// so a client claiming 65535×65535 gets this, not a gigabyte.
pub const MAX_COLS: u16 = 420;
/// See [`MAX_COLS`].
pub const MAX_ROWS: u16 = 160;

/// A window size from the client, clamped to what a terminal can be (a zero or absurd size
/// from a buggy client must not reach the renderer).
pub fn clamp_size(cols: u32, rows: u32) -> (u16, u16) {
    let c = cols.clamp(1, u32::from(MAX_COLS)) as u16;
    let r = rows.clamp(1, u32::from(MAX_ROWS)) as u16;
    (c, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(t: &str, env: &[(&str, &str)]) -> ClientTerminal {
        let mut c = ClientTerminal { term: t.into(), cols: 80, rows: 24, env: Vec::new() };
        for (k, v) in env {
            c.set_env(k, v);
        }
        c
    }

    #[test]
    fn a_utf8_locale_draws_boxes_in_colour() {
        assert_eq!(
            term("xterm-256color", &[("LANG", "ja_JP.UTF-8")]).display(),
            Display { ascii: false, color: true }
        );
    }

    #[test]
    fn a_non_utf8_locale_or_an_old_terminal_is_ascii() {
        assert!(term("xterm", &[("LANG", "ja_JP.eucJP")]).display().ascii);
        assert!(term("xterm", &[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")]).display().ascii);
        assert!(term("vt100", &[("LANG", "ja_JP.UTF-8")]).display().ascii);
        assert!(!term("vt100", &[]).display().color);
    }

    #[test]
    fn no_locale_sent_keeps_box_drawing() {
        assert_eq!(term("xterm", &[]).display(), Display { ascii: false, color: true });
    }

    #[test]
    fn no_color_turns_colour_off() {
        assert!(!term("xterm-256color", &[("NO_COLOR", "1")]).display().color);
        assert!(term("xterm-256color", &[("NO_COLOR", "")]).display().color);
    }

    #[test]
    fn only_accepted_variables_are_kept() {
        let mut c = ClientTerminal::default();
        assert!(!c.set_env("LD_PRELOAD", "/tmp/x.so"));
        assert!(!c.set_env("PATH", "/tmp"));
        assert!(c.set_env("LANG", "C"));
        assert!(c.set_env("LANG", "ja_JP.UTF-8"));
        assert_eq!(c.env("LANG"), Some("ja_JP.UTF-8"));
        assert_eq!(c.env.len(), 1);
    }

    #[test]
    fn keymap_is_a_built_in_name_only() {
        assert_eq!(term("xterm", &[("MADOGUCHI_KEYMAP", "vim")]).keymap_name(), "vim");
        assert_eq!(term("xterm", &[("MADOGUCHI_KEYMAP", "/etc/passwd")]).keymap_name(), "default");
    }

    #[test]
    fn sizes_are_clamped() {
        assert_eq!(clamp_size(0, 0), (1, 1));
        assert_eq!(clamp_size(80, 24), (80, 24));
        assert_eq!(clamp_size(u32::MAX, 5000), (MAX_COLS, MAX_ROWS));
        assert_eq!(clamp_size(65535, 65535), clamp_size(MAX_COLS.into(), MAX_ROWS.into()));
    }
}
