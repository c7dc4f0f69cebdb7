//! Keymaps: TOML files mapping key names to action names per context, the built-in default
//! and vim maps, layering a user's file over them key by key, and the one place where a key
//! press becomes an [`Action`]. Errors name the file, the line and what is wrong.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, EditKey};
use super::command::Command;

/// The shipped default keymap (function keys and Ctrl chords: they pass through an IME).
pub const DEFAULT_TOML: &str = include_str!("../../keymaps/default.toml");
/// The shipped vim-style keymap, layered over the default.
pub const VIM_TOML: &str = include_str!("../../keymaps/vim.toml");

/// Where a binding applies. `Global` is consulted after the screen's own context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    /// Everywhere, after the screen's own bindings.
    Global,
    /// The lookup screen.
    Lookup,
    /// The institution screen.
    Institution,
    /// The change dialog.
    Dialog,
    /// The FAQ screen.
    Faq,
    /// The call log.
    Calls,
    /// The dashboard.
    Dashboard,
    /// The help screen.
    Help,
}

impl Context {
    /// Every context, in the order the help screen lists them.
    pub const ALL: [Context; 8] = [
        Context::Global,
        Context::Lookup,
        Context::Institution,
        Context::Dialog,
        Context::Faq,
        Context::Calls,
        Context::Dashboard,
        Context::Help,
    ];

    /// The section name in a keymap file.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Lookup => "lookup",
            Context::Institution => "institution",
            Context::Dialog => "dialog",
            Context::Faq => "faq",
            Context::Calls => "calls",
            Context::Dashboard => "dashboard",
            Context::Help => "help",
        }
    }

    /// The heading of the context on the help screen.
    pub fn label_ja(self) -> &'static str {
        match self {
            Context::Global => "どこでも",
            Context::Lookup => "検索",
            Context::Institution => "医療機関",
            Context::Dialog => "変更ダイアログ",
            Context::Faq => "FAQ",
            Context::Calls => "応対記録",
            Context::Dashboard => "ダッシュボード",
            Context::Help => "ヘルプ",
        }
    }

    fn parse(s: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == s)
    }

    /// Contexts where a text field can have focus: their keys (and global keys) must leave
    /// typing and the IME alone.
    pub fn has_text_field(self) -> bool {
        matches!(self, Context::Global | Context::Lookup | Context::Dialog | Context::Faq | Context::Calls)
    }
}

/// A key with its modifiers, normalised so that a file's `ctrl-q` and a terminal's
/// Ctrl+Q compare equal (Shift is folded into the character, BackTab stands alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Chord {
    code: ChordCode,
    ctrl: bool,
    alt: bool,
    shift: bool,
}

/// Key codes the keymap knows (a subset of crossterm's, ordered for stable help output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum ChordCode {
    F(u8),
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Backspace,
    Delete,
    Insert,
}

const NAMED: &[(&str, ChordCode)] = &[
    ("enter", ChordCode::Enter),
    ("return", ChordCode::Enter),
    ("esc", ChordCode::Esc),
    ("escape", ChordCode::Esc),
    ("tab", ChordCode::Tab),
    ("backtab", ChordCode::BackTab),
    ("up", ChordCode::Up),
    ("down", ChordCode::Down),
    ("left", ChordCode::Left),
    ("right", ChordCode::Right),
    ("pageup", ChordCode::PageUp),
    ("page_up", ChordCode::PageUp),
    ("pgup", ChordCode::PageUp),
    ("pagedown", ChordCode::PageDown),
    ("page_down", ChordCode::PageDown),
    ("pgdn", ChordCode::PageDown),
    ("home", ChordCode::Home),
    ("end", ChordCode::End),
    ("backspace", ChordCode::Backspace),
    ("delete", ChordCode::Delete),
    ("del", ChordCode::Delete),
    ("insert", ChordCode::Insert),
    ("space", ChordCode::Char(' ')),
];

impl Chord {
    /// Parses `f1`, `ctrl-q`, `shift-tab`, `pagedown`, `j`, `ctrl-alt-x` (case-insensitive
    /// names; a single character is taken as typed).
    pub fn parse(s: &str) -> Option<Chord> {
        let mut rest = s.trim();
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && (lower.starts_with("ctrl-") || lower.starts_with("ctrl+")) {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && (lower.starts_with("alt-") || lower.starts_with("alt+")) {
                alt = true;
                rest = &rest[4..];
            } else if rest.chars().count() > 1 && (lower.starts_with("shift-") || lower.starts_with("shift+"))
            {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let lower = rest.to_ascii_lowercase();
        let mut chars = rest.chars();
        let code = if let (Some(c), None) = (chars.next(), chars.next()) {
            ChordCode::Char(c)
        } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            if !(1..=12).contains(&n) {
                return None;
            }
            ChordCode::F(n)
        } else {
            NAMED.iter().find(|(name, _)| *name == lower)?.1
        };
        Some(Chord::normalised(code, ctrl, alt, shift))
    }

    fn normalised(code: ChordCode, ctrl: bool, alt: bool, shift: bool) -> Chord {
        match code {
            ChordCode::Tab if shift => Chord { code: ChordCode::BackTab, ctrl, alt, shift: false },
            ChordCode::BackTab => Chord { code, ctrl, alt, shift: false },
            ChordCode::Char(c) if ctrl || alt => {
                Chord { code: ChordCode::Char(c.to_ascii_lowercase()), ctrl, alt, shift: false }
            }
            ChordCode::Char(c) if shift => {
                Chord { code: ChordCode::Char(c.to_ascii_uppercase()), ctrl, alt, shift: false }
            }
            ChordCode::Char(_) => Chord { code, ctrl, alt, shift: false },
            _ => Chord { code, ctrl, alt, shift },
        }
    }

    /// The chord of a terminal key event, if the keymap can name it.
    pub fn from_event(ev: &KeyEvent) -> Option<Chord> {
        let code = match ev.code {
            KeyCode::F(n) => ChordCode::F(n),
            KeyCode::Char(c) => ChordCode::Char(c),
            KeyCode::Enter => ChordCode::Enter,
            KeyCode::Esc => ChordCode::Esc,
            KeyCode::Tab => ChordCode::Tab,
            KeyCode::BackTab => ChordCode::BackTab,
            KeyCode::Up => ChordCode::Up,
            KeyCode::Down => ChordCode::Down,
            KeyCode::Left => ChordCode::Left,
            KeyCode::Right => ChordCode::Right,
            KeyCode::PageUp => ChordCode::PageUp,
            KeyCode::PageDown => ChordCode::PageDown,
            KeyCode::Home => ChordCode::Home,
            KeyCode::End => ChordCode::End,
            KeyCode::Backspace => ChordCode::Backspace,
            KeyCode::Delete => ChordCode::Delete,
            KeyCode::Insert => ChordCode::Insert,
            _ => return None,
        };
        let m = ev.modifiers;
        Some(Chord::normalised(
            code,
            m.contains(KeyModifiers::CONTROL),
            m.contains(KeyModifiers::ALT),
            m.contains(KeyModifiers::SHIFT),
        ))
    }

    /// A plain printable character (it belongs to a text field when one has focus).
    fn is_plain_char(&self) -> bool {
        matches!(self.code, ChordCode::Char(_)) && !self.ctrl && !self.alt
    }

    /// F6–F10: IMEs use them to convert (katakana, half-width, romaji) while composing.
    fn is_ime_function_key(&self) -> bool {
        matches!(self.code, ChordCode::F(6..=10))
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        if self.shift {
            f.write_str("Shift-")?;
        }
        match self.code {
            ChordCode::F(n) => write!(f, "F{n}"),
            ChordCode::Char(' ') => f.write_str("Space"),
            ChordCode::Char(c) if self.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            ChordCode::Char(c) => write!(f, "{c}"),
            ChordCode::Enter => f.write_str("Enter"),
            ChordCode::Esc => f.write_str("Esc"),
            ChordCode::Tab => f.write_str("Tab"),
            ChordCode::BackTab => f.write_str("Shift-Tab"),
            ChordCode::Up => f.write_str("Up"),
            ChordCode::Down => f.write_str("Down"),
            ChordCode::Left => f.write_str("Left"),
            ChordCode::Right => f.write_str("Right"),
            ChordCode::PageUp => f.write_str("PgUp"),
            ChordCode::PageDown => f.write_str("PgDn"),
            ChordCode::Home => f.write_str("Home"),
            ChordCode::End => f.write_str("End"),
            ChordCode::Backspace => f.write_str("Backspace"),
            ChordCode::Delete => f.write_str("Delete"),
            ChordCode::Insert => f.write_str("Insert"),
        }
    }
}

/// A keymap file that could not be used: which file, which line, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct KeymapError {
    /// The keymap file's path.
    pub file: String,
    /// Line of the problem (1-based; 0 when the file could not be read).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The active bindings: per context, key → command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<Context, BTreeMap<Chord, Command>>,
}

/// One parsed file: bindings to set, and keys to unbind (`"none"`).
struct Layer {
    base: Option<String>,
    set: Vec<(Context, Chord, Option<Command>)>,
}

impl Keymap {
    /// The built-in default map.
    pub fn default_map() -> Keymap {
        let mut k = Keymap::default();
        // The shipped files are tested; a failure here is a build defect, reported plainly.
        if let Ok(layer) = parse_layer("keymaps/default.toml", DEFAULT_TOML) {
            k.apply(layer);
        }
        k
    }

    /// A built-in map by name (`default` or `vim`).
    pub fn builtin(name: &str) -> Option<Keymap> {
        let mut k = Keymap::default_map();
        match name {
            "default" => Some(k),
            "vim" => {
                if let Ok(layer) = parse_layer("keymaps/vim.toml", VIM_TOML) {
                    k.apply(layer);
                }
                Some(k)
            }
            _ => None,
        }
    }

    /// The map for a console: the default, the user's file layered over it key by key. The
    /// file may say `base = "vim"` to layer over the vim map instead; `path` may also be the
    /// bare name `vim` or `default`.
    pub fn load(path: Option<&Path>) -> Result<Keymap, KeymapError> {
        let Some(path) = path else { return Ok(Keymap::default_map()) };
        let shown = path.display().to_string();
        if !path.exists()
            && let Some(k) = Keymap::builtin(&shown)
        {
            return Ok(k);
        }
        let text = std::fs::read_to_string(path).map_err(|e| KeymapError {
            file: shown.clone(),
            line: 0,
            message: format!("読めません ({e})。--keymap のパスを確かめてください"),
        })?;
        Keymap::layered(&shown, &text)
    }

    /// The default (or the file's `base`) with `text` layered over it.
    pub fn layered(file: &str, text: &str) -> Result<Keymap, KeymapError> {
        let layer = parse_layer(file, text)?;
        let base = layer.base.clone().unwrap_or_else(|| "default".into());
        let mut k = Keymap::builtin(&base).ok_or_else(|| KeymapError {
            file: file.into(),
            line: find_line(text, None, "base"),
            message: format!("base = \"{base}\" は不明です: \"default\" か \"vim\" を指定してください"),
        })?;
        k.apply(layer);
        Ok(k)
    }

    fn apply(&mut self, layer: Layer) {
        for (ctx, chord, action) in layer.set {
            let m = self.bindings.entry(ctx).or_default();
            match action {
                Some(a) => {
                    m.insert(chord, a);
                }
                None => {
                    m.remove(&chord);
                }
            }
        }
    }

    /// The command bound to `chord` in `ctx` (or globally).
    pub fn command(&self, ctx: Context, chord: &Chord) -> Option<Command> {
        self.bindings
            .get(&ctx)
            .and_then(|m| m.get(chord))
            .or_else(|| self.bindings.get(&Context::Global).and_then(|m| m.get(chord)))
            .copied()
    }

    /// Turns a key press into an action: the screen's context first, then global, then (when
    /// a text field has focus) typing and editing keys. `None` when the key does nothing.
    pub fn resolve(&self, ctx: Context, text_focus: bool, ev: &KeyEvent) -> Option<Action> {
        let chord = Chord::from_event(ev)?;
        if text_focus {
            // Typing always wins over a plain-character binding while a field has focus.
            if chord.is_plain_char()
                && let ChordCode::Char(c) = chord.code
            {
                return Some(Action::Insert(c));
            }
        }
        if let Some(command) = self.command(ctx, &chord) {
            return Some(Action::Command(command));
        }
        if !text_focus {
            return None;
        }
        let edit = match (chord.code, chord.ctrl) {
            (ChordCode::Backspace, _) | (ChordCode::Char('h'), true) => EditKey::Backspace,
            (ChordCode::Delete, _) => EditKey::Delete,
            (ChordCode::Left, _) | (ChordCode::Char('b'), true) => EditKey::Left,
            (ChordCode::Right, _) | (ChordCode::Char('f'), true) => EditKey::Right,
            (ChordCode::Home, _) | (ChordCode::Char('a'), true) => EditKey::Home,
            (ChordCode::End, _) | (ChordCode::Char('e'), true) => EditKey::End,
            (ChordCode::Char('u'), true) => EditKey::Clear,
            (ChordCode::Char('w'), true) => EditKey::DeleteWord,
            _ => return None,
        };
        Some(Action::Edit(edit))
    }

    /// The key every hint, prompt and message names for each command: per context, the
    /// first bound key (function keys sort first).
    pub fn hints(&self) -> Hints {
        let mut first = BTreeMap::new();
        for (ctx, m) in &self.bindings {
            for (chord, command) in m {
                first.entry((*ctx, *command)).or_insert_with(|| chord.to_string());
            }
        }
        Hints { first }
    }

    /// The help screen's lines: per context, each key and what it does, generated from the
    /// active bindings so the help is never wrong.
    pub fn help_lines(&self) -> Vec<HelpSection> {
        let mut out = Vec::new();
        for ctx in Context::ALL {
            let Some(m) = self.bindings.get(&ctx) else { continue };
            let mut by_action: BTreeMap<Command, Vec<String>> = BTreeMap::new();
            for (chord, command) in m {
                by_action.entry(*command).or_default().push(chord.to_string());
            }
            let lines =
                by_action.into_iter().map(|(c, keys)| (keys.join(" / "), c.help().to_string())).collect();
            out.push(HelpSection { context: ctx, lines });
        }
        out
    }
}

/// The key to name for a command, per context: what hints, prompts and messages say, so a
/// user's keymap is what they read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    first: BTreeMap<(Context, Command), String>,
}

impl Hints {
    /// The key for `command` on a screen of `ctx`: a global key first (the screen's own
    /// aliases, such as Ctrl-P for Up, are for the initiated), else the screen's.
    pub fn key(&self, ctx: Context, command: Command) -> Option<&str> {
        self.first
            .get(&(Context::Global, command))
            .or_else(|| self.first.get(&(ctx, command)))
            .map(String::as_str)
    }
}

/// One context's part of the help screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpSection {
    /// The context the bindings apply in.
    pub context: Context,
    /// (keys, what they do)
    pub lines: Vec<(String, String)>,
}

/// Parses one keymap file into a layer, checking every rule.
fn parse_layer(file: &str, text: &str) -> Result<Layer, KeymapError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
        KeymapError {
            file: file.into(), line, message: format!("TOML として読めません: {}", e.message())
        }
    })?;
    let err = |line: usize, message: String| KeymapError { file: file.into(), line, message };
    let mut layer = Layer { base: None, set: Vec::new() };
    for (section, value) in &table {
        if section == "base" {
            match value.as_str() {
                Some(b) => layer.base = Some(b.to_string()),
                None => {
                    return Err(err(
                        find_line(text, None, "base"),
                        "base には文字列を指定してください".into(),
                    ));
                }
            }
            continue;
        }
        let Some(ctx) = Context::parse(section) else {
            let names: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
            return Err(err(
                find_section_line(text, section),
                format!("[{section}] は不明な画面です。使えるのは {} です", names.join(", ")),
            ));
        };
        let Some(keys) = value.as_table() else {
            return Err(err(
                find_line(text, None, section),
                format!("{section} は [{section}] の表にしてください"),
            ));
        };
        let mut seen: BTreeMap<Chord, (&str, &str)> = BTreeMap::new();
        // In file order, so a clash is reported on the later of the two lines.
        let mut in_order: Vec<(usize, &String, &toml::Value)> =
            keys.iter().map(|(k, v)| (find_line(text, Some(section), k), k, v)).collect();
        in_order.sort_by_key(|(line, _, _)| *line);
        for (line, key, action) in in_order {
            let Some(chord) = Chord::parse(key) else {
                return Err(err(
                    line,
                    format!(
                        "[{section}] のキー名「{key}」は不明です (例: f1, ctrl-q, shift-tab, enter, esc, up, pagedown, j)"
                    ),
                ));
            };
            let Some(action) = action.as_str() else {
                return Err(err(line, format!("[{section}] {key} の値は動作名の文字列にしてください")));
            };
            if chord.alt && !chord.ctrl {
                return Err(err(
                    line,
                    format!(
                        "[{section}] {key}: Alt だけの組み合わせは端末のメニューに取られるので使えません"
                    ),
                ));
            }
            if ctx.has_text_field() && chord.is_ime_function_key() {
                return Err(err(
                    line,
                    format!(
                        "[{section}] {key}: F6〜F10 は文字入力中に IME が変換に使うため、この画面には割り当てられません"
                    ),
                ));
            }
            if ctx.has_text_field() && chord.is_plain_char() {
                return Err(err(
                    line,
                    format!(
                        "[{section}] {key}: 文字キーは入力欄の文字になるため割り当てられません。Ctrl との組み合わせにしてください"
                    ),
                ));
            }
            if let Some((other_key, other_action)) = seen.get(&chord)
                && *other_action != action
            {
                return Err(err(
                    line,
                    format!(
                        "[{section}] {key} は {other_key} と同じキーで、別の動作「{other_action}」が既に割り当てられています"
                    ),
                ));
            }
            seen.insert(chord, (key.as_str(), action));
            let bound = if action == "none" {
                None
            } else {
                let Some(command) = Command::from_name(action) else {
                    return Err(err(
                        line,
                        format!(
                            "[{section}] {key}: 動作「{action}」は不明です (F1 のヘルプと README に一覧があります)"
                        ),
                    ));
                };
                Some(command)
            };
            layer.set.push((ctx, chord, bound));
        }
    }
    Ok(layer)
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn find_section_line(text: &str, section: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim();
            t.starts_with('[') && t.trim_matches(|c| c == '[' || c == ']').trim().trim_matches('"') == section
        })
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// The line where `key` is set inside `[section]` (or at top level), by scanning the text:
/// good enough for the simple files keymaps are, and exact for the errors we report.
fn find_line(text: &str, section: Option<&str>, key: &str) -> usize {
    let mut current: Option<String> = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            current = Some(t.trim_matches(|c| c == '[' || c == ']').trim().trim_matches('"').to_string());
            continue;
        }
        if let Some((k, _)) = t.split_once('=') {
            let k = k.trim().trim_matches('"').trim_matches('\'');
            if k == key && current.as_deref() == section {
                return i + 1;
            }
        }
    }
    0
}

#[cfg(test)]
#[path = "keymap_tests.rs"]
mod tests;
