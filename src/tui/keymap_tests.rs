//! Tests of the keymap (kept beside it, out of its file).

use super::*;
use crossterm::event::KeyEventKind;

fn press(code: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new_with_kind(code, m, KeyEventKind::Press)
}

#[test]
fn shipped_keymaps_parse() {
    parse_layer("keymaps/default.toml", DEFAULT_TOML).expect("default.toml");
    parse_layer("keymaps/vim.toml", VIM_TOML).expect("vim.toml");
    assert!(Keymap::builtin("vim").is_some());
}

#[test]
fn chord_names_normalise() {
    assert_eq!(Chord::parse("ctrl-q"), Chord::parse("Ctrl+Q"));
    assert_eq!(Chord::parse("shift-tab"), Chord::parse("backtab"));
    assert_eq!(Chord::parse("F4").map(|c| c.to_string()).as_deref(), Some("F4"));
    assert!(Chord::parse("f13").is_none());
    assert!(Chord::parse("hyper-x").is_none());
    let ev = press(KeyCode::Char('q'), KeyModifiers::CONTROL);
    assert_eq!(Chord::from_event(&ev), Chord::parse("ctrl-q"));
    let ev = press(KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(Chord::from_event(&ev), Chord::parse("shift-tab"));
    let ev = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
    assert_eq!(Chord::from_event(&ev), Chord::parse("G"));
}

#[test]
fn defaults_bind_the_issue_keys() {
    let k = Keymap::default_map();
    let name = |ctx, key: &str| k.command(ctx, &Chord::parse(key).expect("key"));
    assert_eq!(name(Context::Lookup, "f1"), Some(Command::Help));
    assert_eq!(name(Context::Lookup, "f2"), Some(Command::Lookup));
    assert_eq!(name(Context::Institution, "f3"), Some(Command::Faq));
    assert_eq!(name(Context::Institution, "f4"), Some(Command::Change));
    assert_eq!(name(Context::Dialog, "esc"), Some(Command::Back));
    assert_eq!(name(Context::Lookup, "enter"), Some(Command::Confirm));
    assert_eq!(name(Context::Institution, "tab"), Some(Command::Next));
    assert_eq!(name(Context::Institution, "shift-tab"), Some(Command::Prev));
    assert_eq!(name(Context::Global, "ctrl-q"), Some(Command::Quit));
}

#[test]
fn typing_wins_in_text_fields() {
    let k = Keymap::builtin("vim").expect("vim");
    let j = press(KeyCode::Char('j'), KeyModifiers::NONE);
    assert!(matches!(k.resolve(Context::Lookup, true, &j), Some(Action::Insert('j'))));
    assert!(matches!(k.resolve(Context::Institution, false, &j), Some(Action::Command(Command::Down))));
    let bs = press(KeyCode::Backspace, KeyModifiers::NONE);
    assert!(matches!(k.resolve(Context::Lookup, true, &bs), Some(Action::Edit(EditKey::Backspace))));
    assert!(k.resolve(Context::Institution, false, &bs).is_none());
}

#[test]
fn user_file_layers_key_by_key() {
    let k =
        Keymap::layered("my.toml", "[global]\n\"ctrl-x\" = \"quit\"\n\"ctrl-q\" = \"none\"\n").expect("ok");
    assert_eq!(k.command(Context::Global, &Chord::parse("ctrl-x").expect("k")), Some(Command::Quit));
    assert_eq!(k.command(Context::Global, &Chord::parse("ctrl-q").expect("k")), None);
    // the rest of the default is still there
    assert_eq!(k.command(Context::Global, &Chord::parse("f1").expect("k")), Some(Command::Help));
    let v = Keymap::layered("my.toml", "base = \"vim\"\n").expect("ok");
    assert_eq!(v.command(Context::Institution, &Chord::parse("j").expect("k")), Some(Command::Down));
}

#[test]
fn errors_name_file_line_and_problem() {
    let e =
        Keymap::layered("my.toml", "[global]\nf1 = \"help\"\nf2 = \"fly\"\n").expect_err("unknown action");
    assert_eq!((e.file.as_str(), e.line), ("my.toml", 3));
    assert!(e.message.contains("fly"), "{}", e.message);

    let e = Keymap::layered("my.toml", "\n[lookup]\n\"hyper-k\" = \"up\"\n").expect_err("unknown key");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("hyper-k"), "{}", e.message);

    let e = Keymap::layered("my.toml", "[lookup]\n\"ctrl-p\" = \"up\"\n\"Ctrl+P\" = \"down\"\n")
        .expect_err("two actions on one key");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("ctrl-p"), "{}", e.message);

    let e = Keymap::layered("my.toml", "[lookup]\nf7 = \"up\"\n").expect_err("F7 in text field");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("F6"), "{}", e.message);
    // F7 is fine where no text field exists
    Keymap::layered("my.toml", "[institution]\nf7 = \"up\"\n").expect("F7 in institution");

    let e = Keymap::layered("my.toml", "[global]\n\"alt-x\" = \"quit\"\n").expect_err("alt-only");
    assert!(e.message.contains("Alt"), "{}", e.message);

    let e = Keymap::layered("my.toml", "[lookup]\nj = \"down\"\n").expect_err("plain char in text");
    assert_eq!(e.line, 2);

    let e = Keymap::layered("my.toml", "[nowhere]\nf1 = \"help\"\n").expect_err("unknown section");
    assert_eq!(e.line, 1);

    let e = Keymap::layered("my.toml", "[global\nf1 = \"help\"\n").expect_err("bad toml");
    assert_eq!(e.line, 1);
    assert_eq!(e.to_string().split(':').next(), Some("my.toml"));
}

#[test]
fn help_is_generated_from_bindings() {
    let k = Keymap::layered("my.toml", "[global]\n\"ctrl-x\" = \"quit\"\n").expect("ok");
    let help = k.help_lines();
    let global = help.iter().find(|s| s.context == Context::Global).expect("global");
    assert!(global.lines.iter().any(|(keys, what)| keys.contains("Ctrl-X") && what == "終了"), "{global:?}");
}
