//! One SSH connection ([`Connection`], russh's handler) and the console it runs.
//!
//! Public keys are the only way in, checked against the operators' registered keys (the SSH
//! user name is ignored). One session channel with a pty and a shell request runs one
//! console: its own `State`, the shared pure `update`/`view`, a ratatui backend writing to
//! the channel at the client's window size, input bytes parsed by the same
//! [`InputParser`] as the local console's. It talks to this server's API over loopback with
//! a token that exists only while the session does, so every rule and role check stays on
//! the server and the audit trail names the key's operator. Exec, subsystems (sftp), port
//! and agent forwarding, X11: refused. When the connection drops, russh drops the handler,
//! which closes the console's input: the console ends at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use crossterm::event::Event;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use russh::keys::HashAlg;
use russh::keys::PublicKey;
use russh::server::{Auth, ChannelOpenHandle, Handle, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, Pty};
use tokio::sync::mpsc;
use tracing::Instrument;

use super::door::PendingSlot;
use super::term_env::{ClientTerminal, clamp_size};
use super::watch::SessionWatches;
use super::writer::ChannelWriter;
use super::{KeyOwner, Shared};
use crate::client::Client;
use crate::tui::app::run_console_with;
use crate::tui::floor::Live;
use crate::tui::input::InputParser;
use crate::tui::input::{End, Input};
use crate::tui::{Keymap, initial_state};

/// Switches the client's terminal to the console's mode: alternate screen, bracketed paste,
/// cleared. [`LEAVE`] undoes it.
const ENTER: &[u8] = b"\x1b[?1049h\x1b[?2004h\x1b[H\x1b[2J";
const LEAVE: &[u8] = b"\x1b[?2004l\x1b[?1049l\x1b[?25h\x1b[0m";

/// The SHA-256 fingerprint of a key as OpenSSH prints it (`SHA256:…`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// russh's per-connection handler.
pub struct Connection {
    shared: Arc<Shared>,
    peer: Option<SocketAddr>,
    owner: Option<KeyOwner>,
    channel: Option<ChannelId>,
    terminal: Option<ClientTerminal>,
    parser: InputParser,
    /// The running console's input; dropped with the connection, which ends the console.
    input: Option<mpsc::Sender<Input>>,
    /// The door's slot, held until the login (see [`super::door`]).
    slot: Option<PendingSlot>,
    /// Set at the login; the door's deadline then no longer applies.
    logged_in: Arc<AtomicBool>,
    /// Keys this connection offered that were refused (taken back if a later one logs in).
    refused_keys: u32,
    /// When the client last sent a byte (the idle rule), on the server's activity clock.
    active: Arc<AtomicU64>,
}

impl Connection {
    pub fn new(
        shared: Arc<Shared>,
        peer: Option<SocketAddr>,
        slot: PendingSlot,
        logged_in: Arc<AtomicBool>,
    ) -> Connection {
        let active = Arc::new(AtomicU64::new(shared.now_ms()));
        Connection {
            shared,
            peer,
            owner: None,
            channel: None,
            terminal: None,
            parser: InputParser::new(),
            input: None,
            slot: Some(slot),
            logged_in,
            refused_keys: 0,
            active,
        }
    }

    fn peer_ip(&self) -> String {
        self.peer.map(|p| p.ip().to_string()).unwrap_or_else(|| "?".into())
    }

    /// The operator a key belongs to, or None (logged, as a refused login).
    async fn owner_of(&mut self, key: &PublicKey) -> Option<KeyOwner> {
        let fp = fingerprint(key);
        match self.shared.owner_of(&fp).await {
            Ok(Some(owner)) => Some(owner),
            Ok(None) => {
                self.shared.log_refused(self.peer, &format!("unknown key {fp}"));
                self.shared.count_failure(self.peer);
                self.refused_keys += 1;
                None
            }
            Err(e) => {
                tracing::warn!("SSH login from {}: checking key {fp} failed: {e}", self.peer_ip());
                None
            }
        }
    }

    /// Tells the client why its request is refused (on stderr, exit status 1) and closes the
    /// channel. The request itself is acknowledged, or OpenSSH would quit before printing
    /// the reason; nothing of it is carried out.
    fn refuse(&self, channel: ChannelId, session: &mut Session, why: &str) -> Result<(), russh::Error> {
        session.channel_success(channel)?;
        let _ = session.extended_data(channel, 1, format!("madoguchi: {why}\r\n").into_bytes());
        let _ = session.exit_status_request(channel, 1);
        let _ = session.eof(channel);
        session.close(channel)
    }

    async fn send(&mut self, ev: Event) {
        if let Some(tx) = &self.input
            && tx.send(Input::Event(ev)).await.is_err()
        {
            self.input = None;
        }
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(if self.owner_of(offer.public_key).await.is_some() { Auth::Accept } else { Auth::reject() })
    }

    async fn auth_publickey(&mut self, _user: &str, key: VerifiedPublicKey<'_>) -> Result<Auth, Self::Error> {
        match self.owner_of(key.public_key).await {
            Some(owner) => {
                tracing::info!(
                    operator = %owner.operator.name,
                    fingerprint = %owner.fingerprint,
                    peer = %self.peer_ip(),
                    "SSH login: {} ({}) with key {} from {}",
                    owner.operator.name,
                    owner.operator.role.as_str(),
                    owner.fingerprint,
                    self.peer_ip()
                );
                self.shared.state.metrics.ssh_login();
                self.owner = Some(owner);
                self.slot = None;
                self.logged_in.store(true, Ordering::Release);
                self.shared.forgive(self.peer, std::mem::take(&mut self.refused_keys));
                Ok(Auth::Accept)
            }
            None => Ok(Auth::reject()),
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // One console per connection; a second session channel is refused (dropping the
        // reply rejects it).
        if self.owner.is_some() && self.channel.is_none() {
            self.channel = Some(channel.id());
            reply.accept().await;
        }
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel != Some(channel) || self.input.is_some() {
            return session.channel_failure(channel);
        }
        let (cols, rows) = clamp_size(col_width, row_height);
        let t = self.terminal.get_or_insert_with(ClientTerminal::default);
        t.term = term.chars().take(64).collect();
        t.cols = cols;
        t.rows = rows;
        session.channel_success(channel)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let accepted = self.channel == Some(channel)
            && self.terminal.get_or_insert_with(ClientTerminal::default).set_env(name, value);
        if accepted { session.channel_success(channel) } else { session.channel_failure(channel) }
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        let (Some(owner), true, None) = (self.owner.clone(), self.channel == Some(channel), &self.input)
        else {
            return session.channel_failure(channel);
        };
        let Some(terminal) = self.terminal.clone().filter(|t| t.cols > 0) else {
            return self.refuse(
                channel,
                session,
                "端末（pty）がありません。ssh -t を付けるか、コマンドを付けずに接続してください",
            );
        };
        let (tx, rx) = mpsc::channel::<Input>(256);
        let id = match self.shared.register(&owner, self.peer, tx.downgrade(), self.active.clone()) {
            Ok(id) => id,
            Err(why) => {
                tracing::warn!("SSH session of {} refused: {why}", owner.operator.name);
                self.shared.state.metrics.ssh_refused(why.reason());
                return self.refuse(channel, session, &why.to_string());
            }
        };
        session.channel_success(channel)?;
        let tap = self.shared.screens.opened(id, &owner.operator.name, tx.downgrade());
        self.input = Some(tx);
        let shared = self.shared.clone();
        let handle = session.handle();
        // Every line the session logs (its end included) names the operator, the key and the
        // client's address.
        let span = tracing::info_span!("ssh_session", operator = %owner.operator.name,
            fingerprint = %owner.fingerprint, peer = %self.peer.map(|p| p.to_string()).unwrap_or_default());
        tokio::spawn(
            async move {
                let watches = Arc::new(SessionWatches::new(shared.screens.clone()));
                let live = Live { tap: Some(tap), source: Some(watches.clone()), door_signs_out: true };
                run_session(shared.clone(), handle, channel, owner, terminal, rx, live).await;
                watches.end_all().await;
                shared.screens.closed(id).await;
                shared.unregister(id);
            }
            .instrument(span),
        );
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.refuse(
            channel,
            session,
            "このサーバーではコマンドを実行できません。コマンドを付けずに ssh で接続すると窓口の画面が開きます",
        )
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.refuse(channel, session, "このサーバーにはファイル転送などのサブシステムはありません")
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    // Port forwarding either way, agent forwarding, X11 and streamlocal channels: russh's
    // defaults refuse them (a channel open is rejected, a global request fails).

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel == Some(channel) {
            let (cols, rows) = clamp_size(col_width, row_height);
            self.send(Event::Resize(cols, rows)).await;
        }
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channel == Some(channel) {
            self.active.store(self.shared.now_ms(), Ordering::Relaxed);
            for ev in self.parser.feed(data) {
                self.send(ev).await;
            }
        }
        Ok(())
    }

    async fn channel_eof(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        if self.channel == Some(channel) {
            self.input = None;
        }
        Ok(())
    }

    async fn channel_close(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        if self.channel == Some(channel) {
            self.input = None;
        }
        Ok(())
    }
}

/// Runs one session's console until it ends, then restores the client's terminal, says why
/// (unless the operator quit) and closes the channel. The session's token lives exactly as
/// long as this.
async fn run_session(
    shared: Arc<Shared>,
    handle: Handle,
    channel: ChannelId,
    owner: KeyOwner,
    terminal: ClientTerminal,
    mut input: mpsc::Receiver<Input>,
    live: Live,
) {
    let started = Instant::now();
    let token = shared.open_session_token(&owner);
    let client = match Client::new(&shared.api_base, Some(token.token().to_string())) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("SSH session of {}: no API client: {e}", owner.operator.name);
            let _ = handle.close(channel).await;
            return;
        }
    };
    let keymap = Keymap::builtin(terminal.keymap_name()).unwrap_or_else(Keymap::default_map);
    let display = terminal.display();
    let state = initial_state("ssh", &keymap, display.ascii, display.color);
    let (mut writer, done) = ChannelWriter::new(handle.clone(), channel);
    let end = {
        use std::io::Write;
        let _ = writer.write_all(ENTER).and_then(|_| writer.flush());
        let viewport = Viewport::Fixed(Rect::new(0, 0, terminal.cols, terminal.rows));
        match Terminal::with_options(CrosstermBackend::new(writer), TerminalOptions { viewport }) {
            Ok(mut term) => {
                let end = run_console_with(client, &keymap, state, &mut term, &mut input, live).await;
                let b = term.backend_mut();
                let _ = b.write_all(LEAVE);
                if !matches!(end, End::Quit) {
                    let _ = b.write_all(format!("madoguchi: {end}\r\n").as_bytes());
                }
                let _ = b.flush();
                end
            }
            Err(e) => End::OutputError(e),
        }
    };
    drop(token);
    // Every frame is on its way before the channel closes (bounded: a client that stopped
    // reading must not hold the session).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), done.finish()).await;
    let status = if matches!(end, End::Quit) { 0 } else { 1 };
    let _ = handle.exit_status_request(channel, status).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
    tracing::info!(
        "SSH session of {} ended after {:.0} s: {end}",
        owner.operator.name,
        started.elapsed().as_secs_f64()
    );
}
