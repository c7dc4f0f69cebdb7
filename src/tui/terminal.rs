//! The real terminal: raw mode, alternate screen and bracketed paste on the way in; all of
//! it undone on the way out — normally, on panic (a hook), and after SIGTERM/SIGHUP or the
//! end of the terminal (the runner leaves its loop). The tty's input ([`LocalInput`]): read
//! on a descriptor of its own, so that a hung-up terminal is seen as the end of input (EIO or
//! an empty read) instead of being polled forever. Also the locale check for ASCII mode and
//! OSC 52 copy.

use std::fs::File;
use std::io::{self, Read, Stdout, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

use crossterm::event::Event;
use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::input::InputParser;
use super::input::{End, Input};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The console's terminal; dropping it restores the user's terminal.
pub struct Term {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Term {
    /// Switches the terminal to the console's mode and installs the panic hook.
    pub fn enter() -> io::Result<Term> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, EnableBracketedPaste) {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(out)) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(Term { terminal })
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back as the shell expects it. Errors are ignored: after SIGHUP the
/// terminal may be gone, and there is nobody to tell.
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(out, DisableBracketedPaste, LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// The local console's input source: the controlling terminal read through its own
/// non-blocking descriptor (`/dev/tty`, so the shell's stdin flags are left alone), parsed
/// into events; SIGWINCH becomes a resize; SIGTERM and SIGHUP end it (SIGHUP only when it is
/// not ignored: under `nohup` or a shell that ignores it, the console still ends when the
/// terminal does, through the end of input). Dropping it stops the reader.
pub struct LocalInput {
    task: JoinHandle<()>,
}

impl LocalInput {
    /// Opens the terminal and starts reading it; events and the final [`End`] go to `tx`.
    pub fn start(tx: mpsc::Sender<Input>) -> io::Result<LocalInput> {
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
            .open("/dev/tty")
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("端末 /dev/tty を開けません（端末の中で起動してください）: {e}"),
                )
            })?;
        // SAFETY: `tty` is an open file we own and hand over; the AsyncFd keeps it (and so
        // the same descriptor) until it is dropped.
        let tty = unsafe { AsyncFd::register(tty) }.map_err(|e| io::Error::other(e.to_string()))?;
        let signals = Signals {
            term: signal(SignalKind::terminate())?,
            hup: if hangup_is_ignored() { None } else { Some(signal(SignalKind::hangup())?) },
            winch: signal(SignalKind::window_change())?,
        };
        let task = tokio::spawn(async move {
            let end = read_tty(tty, signals, &tx).await;
            let _ = tx.send(Input::End(end)).await;
        });
        Ok(LocalInput { task })
    }
}

impl Drop for LocalInput {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The signals the local console listens to.
struct Signals {
    term: Signal,
    hup: Option<Signal>,
    winch: Signal,
}

/// Reads the tty until it ends (an empty read or an error: what a hung-up terminal answers)
/// or a signal arrives. Each readiness is followed by reads until the descriptor would block,
/// so the task sleeps whenever there is nothing to read.
async fn read_tty(tty: AsyncFd<File>, mut signals: Signals, tx: &mpsc::Sender<Input>) -> End {
    let mut parser = InputParser::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let hup = async {
            match signals.hup.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ready = tty.readable() => {
                let mut guard = match ready {
                    Ok(g) => g,
                    Err(e) => return End::InputError(e),
                };
                match guard.try_io(|f| f.get_ref().read(&mut buf)) {
                    Ok(Ok(0)) => return End::InputClosed,
                    Ok(Ok(n)) => {
                        for ev in parser.feed(&buf[..n]) {
                            if tx.send(Input::Event(ev)).await.is_err() {
                                return End::Quit;
                            }
                        }
                    }
                    Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                    Ok(Err(e)) => return End::InputError(e),
                    Err(_would_block) => {}
                }
            }
            _ = signals.term.recv() => return End::Signal("SIGTERM"),
            _ = hup => return End::Signal("SIGHUP"),
            _ = signals.winch.recv() => {
                if let Some((w, h)) = tty_size(tty.get_ref())
                    && tx.send(Input::Event(Event::Resize(w, h))).await.is_err()
                {
                    return End::Quit;
                }
            }
        }
    }
}

/// The terminal's size in cells, asked of the tty itself (never by running a program).
fn tty_size(tty: &File) -> Option<(u16, u16)> {
    let mut ws = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct we own; the fd is open.
    let r = unsafe { libc::ioctl(tty.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) };
    (r == 0 && ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
}

/// True when this process was started with SIGHUP ignored (`nohup`, `trap "" HUP`): that
/// choice is kept, and the console then ends through the end of its input instead.
fn hangup_is_ignored() -> bool {
    // SAFETY: with a null new action, sigaction only reads the current disposition into
    // the zeroed struct we own.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// True when the locale says UTF-8 (LC_ALL, else LC_CTYPE, else LANG). Otherwise the
/// console draws in ASCII mode: a non-UTF-8 terminal cannot be trusted with box drawing.
pub fn locale_is_utf8() -> bool {
    locale_is_utf8_from(|k| std::env::var(k).ok())
}

/// [`locale_is_utf8`] over any environment (for tests).
pub fn locale_is_utf8_from(get: impl Fn(&str) -> Option<String>) -> bool {
    let value = ["LC_ALL", "LC_CTYPE", "LANG"].into_iter().find_map(|k| get(k).filter(|v| !v.is_empty()));
    value.is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("utf-8") || v.contains("utf8")
    })
}

/// The OSC 52 sequence that puts `text` on the clipboard of the operator's own terminal
/// (it travels over SSH, unlike any local clipboard API).
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_decides_ascii_mode() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(a, _)| *a == k).map(|(_, v)| v.to_string())
        };
        assert!(locale_is_utf8_from(env(&[("LANG", "ja_JP.UTF-8")])));
        assert!(locale_is_utf8_from(env(&[("LC_ALL", "C.utf8"), ("LANG", "C")])));
        assert!(!locale_is_utf8_from(env(&[("LANG", "ja_JP.eucJP")])));
        assert!(!locale_is_utf8_from(env(&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")])));
        assert!(!locale_is_utf8_from(env(&[])));
    }

    #[test]
    fn osc52_is_base64() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(osc52("R-1"), "\x1b]52;c;Ui0x\x07");
    }
}
