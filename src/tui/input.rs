//! Terminal input bytes → key events. One parser for every console: the local one reads its
//! tty, an SSH session reads its channel, and both feed the bytes they get (in whatever
//! pieces they arrive) through [`InputParser`], so the keymap sees the same events either
//! way. The escape-sequence grammar is `terminput`'s (crossterm's, as a library); this module
//! adds what a byte stream needs: a buffer kept across reads (a UTF-8 character or an escape
//! sequence split over two packets), a lone Esc told from the start of a sequence, a bound on
//! a runaway paste, and the conversion to the crossterm events the keymap resolves.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::TuiError;

/// The longest unfinished sequence kept (a bracketed paste is one sequence). Beyond it the
/// bytes are dropped: nobody pastes a megabyte into a lookup line, and a client must not be
/// able to make the server buffer without bound.
pub const MAX_PENDING: usize = 1 << 20;

/// Byte-stream parser with the state kept between reads.
#[derive(Debug, Default)]
pub struct InputParser {
    pending: Vec<u8>,
}

impl InputParser {
    pub fn new() -> InputParser {
        InputParser::default()
    }

    /// Parses one read's worth of bytes; what is left unfinished waits for the next read.
    /// A lone Esc at the very end of a read is taken as the Esc key (terminals send a whole
    /// sequence in one write; the user pressing Esc sends just the one byte).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            self.pending.push(b);
            let more = i + 1 < bytes.len();
            if self.pending == [0x1b] && more {
                continue;
            }
            match terminput::Event::parse_from(&self.pending) {
                Ok(None) => {
                    if self.pending.len() > MAX_PENDING {
                        self.pending.clear();
                    }
                }
                Ok(Some(ev)) => {
                    self.pending.clear();
                    if let Some(ev) = convert(ev) {
                        out.push(ev);
                    }
                }
                // Not a sequence anybody sends: drop it rather than type garbage.
                Err(_) => self.pending.clear(),
            }
        }
        out
    }

    /// True while part of a sequence or character is waiting for more bytes.
    #[cfg(test)]
    pub fn is_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// terminput's event → crossterm's (which the keymap speaks). Ctrl-H is Backspace: Tera Term
/// and some Windows setups send BS (0x08) for the Backspace key, and nothing binds Ctrl-H.
fn convert(ev: terminput::Event) -> Option<Event> {
    let ev = terminput_crossterm::to_crossterm(ev).ok()?;
    Some(match ev {
        Event::Key(k) if k.code == KeyCode::Char('h') && k.modifiers == KeyModifiers::CONTROL => {
            Event::Key(KeyEvent::new_with_kind(KeyCode::Backspace, KeyModifiers::NONE, KeyEventKind::Press))
        }
        other => other,
    })
}

/// What a console's input source delivers: a terminal event, or the end of input.
#[derive(Debug)]
pub enum Input {
    Event(Event),
    /// Draw again though nothing changed (a supervisor began watching: the first frame).
    Redraw,
    End(End),
}

/// Why a console stopped. Anything but [`End::Quit`] means its terminal went away or was
/// told to stop; the console then ends at once, whatever it shows. A change already sent is
/// left to finish on the server (one transaction: committed or not, never half).
#[derive(Debug)]
pub enum End {
    /// The operator quit.
    Quit,
    /// End of input: an empty read, a closed channel or pipe.
    InputClosed,
    /// Reading the terminal failed (a hung-up tty answers EIO).
    InputError(std::io::Error),
    /// Drawing failed: the terminal or the connection is gone.
    OutputError(std::io::Error),
    /// SIGTERM or SIGHUP.
    Signal(&'static str),
    /// The server ended the session (its key was removed, its operator revoked, shutdown).
    Closed(String),
}

impl End {
    /// Turns an end other than the operator's own quit into the console's error.
    pub fn into_result(self) -> Result<(), TuiError> {
        match self {
            End::Quit => Ok(()),
            other => Err(TuiError::Ended(other.to_string())),
        }
    }
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Quit => write!(f, "終了しました"),
            End::InputClosed => write!(f, "端末の入力が終わりました（接続が切れました）"),
            End::InputError(e) => write!(f, "端末を読めなくなりました（{e}）"),
            End::OutputError(e) => write!(f, "端末に書けなくなりました（{e}）"),
            End::Signal(s) => write!(f, "{s} を受けて終了しました"),
            End::Closed(why) => write!(f, "{why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(events: &[Event]) -> Vec<(KeyCode, KeyModifiers)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Key(k) => Some((k.code, k.modifiers)),
                _ => None,
            })
            .collect()
    }

    fn text(events: &[Event]) -> String {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Key(KeyEvent { code: KeyCode::Char(c), .. }) => Some(*c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn plain_text_and_an_ime_commit() {
        let mut p = InputParser::new();
        assert_eq!(text(&p.feed("yajima".as_bytes())), "yajima");
        assert_eq!(text(&p.feed("矢嶋歯科".as_bytes())), "矢嶋歯科");
        assert!(!p.is_pending());
    }

    #[test]
    fn utf8_split_across_reads_is_one_character() {
        let mut p = InputParser::new();
        let bytes = "矢嶋".as_bytes();
        assert!(p.feed(&bytes[..1]).is_empty());
        assert!(p.is_pending());
        assert!(
            p.feed(&bytes[1..4]).iter().any(|e| matches!(e, Event::Key(k) if k.code == KeyCode::Char('矢')))
        );
        assert_eq!(text(&p.feed(&bytes[4..])), "嶋");
        assert!(!p.is_pending());
    }

    #[test]
    fn function_keys_in_every_dialect() {
        let mut p = InputParser::new();
        // xterm SS3, VT220 (PuTTY, Tera Term), xterm CSI, the Linux console.
        for (bytes, n) in [
            (&b"\x1bOP"[..], 1),
            (b"\x1bOS", 4),
            (b"\x1b[11~", 1),
            (b"\x1b[14~", 4),
            (b"\x1b[15~", 5),
            (b"\x1b[24~", 12),
            (b"\x1b[[A", 1),
        ] {
            assert_eq!(keys(&p.feed(bytes)), vec![(KeyCode::F(n), KeyModifiers::NONE)], "{bytes:?}");
        }
    }

    #[test]
    fn arrows_tab_enter_and_ctrl_chords() {
        let mut p = InputParser::new();
        let got = keys(&p.feed(b"\x1b[A\x1b[B\t\x1b[Z\r\x11\x19\x7f\x08"));
        assert_eq!(
            got,
            vec![
                (KeyCode::Up, KeyModifiers::NONE),
                (KeyCode::Down, KeyModifiers::NONE),
                (KeyCode::Tab, KeyModifiers::NONE),
                (KeyCode::BackTab, KeyModifiers::SHIFT),
                (KeyCode::Enter, KeyModifiers::NONE),
                (KeyCode::Char('q'), KeyModifiers::CONTROL),
                (KeyCode::Char('y'), KeyModifiers::CONTROL),
                (KeyCode::Backspace, KeyModifiers::NONE),
                (KeyCode::Backspace, KeyModifiers::NONE),
            ]
        );
    }

    #[test]
    fn a_sequence_split_across_reads_is_not_an_esc() {
        let mut p = InputParser::new();
        assert!(p.feed(b"\x1b[").is_empty());
        assert_eq!(keys(&p.feed(b"15~")), vec![(KeyCode::F(5), KeyModifiers::NONE)]);
    }

    #[test]
    fn a_lone_esc_is_the_esc_key() {
        let mut p = InputParser::new();
        assert_eq!(keys(&p.feed(b"\x1b")), vec![(KeyCode::Esc, KeyModifiers::NONE)]);
        assert!(!p.is_pending());
    }

    #[test]
    fn bracketed_paste_across_reads_is_one_paste() {
        let mut p = InputParser::new();
        let all = "\x1b[200~矢嶋\n花子\x1b[201~".as_bytes();
        let mut events = Vec::new();
        for chunk in all.chunks(3) {
            events.extend(p.feed(chunk));
        }
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(matches!(&events[0], Event::Paste(s) if s == "矢嶋\n花子"));
    }

    #[test]
    fn garbage_is_dropped_and_typing_goes_on() {
        let mut p = InputParser::new();
        let got = p.feed(b"\xff\xfeab");
        assert_eq!(text(&got), "ab");
    }

    #[test]
    fn a_runaway_paste_is_bounded() {
        let mut p = InputParser::new();
        p.feed(b"\x1b[200~");
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..20 {
            p.feed(&chunk);
        }
        assert!(p.pending.len() <= MAX_PENDING + chunk.len());
    }
}
