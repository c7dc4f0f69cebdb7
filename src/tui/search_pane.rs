//! `SearchPane<T>`: a query line over ranked results from the server, as the lookup and the
//! FAQ both show it. Every edit sends the query with a new sequence number and only the
//! answer to the latest one is shown; an empty query clears results, loading and any error.

use super::action::Action;
use super::field::TextField;

/// The query, the answer to the latest query sent, the selection.
#[derive(Debug, Clone)]
pub struct SearchPane<T> {
    pub input: TextField,
    /// Sequence number of the latest query sent; answers to older ones are dropped.
    pub seq: u64,
    /// The query whose results are shown.
    pub shown_query: String,
    pub results: Vec<T>,
    pub selected: usize,
    pub loading: bool,
    pub error: Option<String>,
}

impl<T> Default for SearchPane<T> {
    fn default() -> Self {
        SearchPane {
            input: TextField::default(),
            seq: 0,
            shown_query: String::new(),
            results: Vec::new(),
            selected: 0,
            loading: false,
            error: None,
        }
    }
}

impl<T> SearchPane<T> {
    /// Applies typing, a paste or an editing key to the query; true when the query changed.
    pub fn edit(&mut self, action: &Action) -> bool {
        match action {
            Action::Insert(c) => self.input.insert(*c),
            Action::Paste(s) => self.input.paste(s),
            Action::Edit(k) => self.input.edit(*k),
            _ => false,
        }
    }

    /// Moves the selection by `delta` rows, within the results.
    pub fn move_selection(&mut self, delta: isize) {
        let last = self.results.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn selected(&self) -> Option<&T> {
        self.results.get(self.selected)
    }

    /// The query to send as the newest one, with its sequence number; `None` for an empty
    /// query, which clears what was shown (results, loading, error).
    pub fn next_query(&mut self) -> Option<(u64, String)> {
        self.seq += 1;
        let query = self.input.value().trim().to_string();
        if query.is_empty() {
            self.show_nothing();
            return None;
        }
        self.loading = true;
        Some((self.seq, query))
    }

    /// Takes the answer to query `seq` if it is the latest (true): its results, first row
    /// selected, or its error. An older answer changes nothing (false).
    pub fn answer(&mut self, seq: u64, reply: Result<(String, Vec<T>), String>) -> bool {
        if seq != self.seq {
            return false;
        }
        self.loading = false;
        match reply {
            Ok((query, results)) => {
                self.shown_query = query;
                self.results = results;
                self.selected = 0;
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        true
    }

    /// Empties the query and everything shown; an answer still on its way is dropped.
    pub fn clear(&mut self) {
        self.input.clear();
        self.seq += 1;
        self.show_nothing();
    }

    fn show_nothing(&mut self) {
        self.results.clear();
        self.shown_query.clear();
        self.selected = 0;
        self.loading = false;
        self.error = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_answer_wins_and_an_empty_query_clears_an_error() {
        let mut p: SearchPane<u32> = SearchPane::default();
        assert!(p.edit(&Action::Insert('a')));
        let (old, _) = p.next_query().expect("a query");
        assert!(p.edit(&Action::Insert('b')));
        let (new, q) = p.next_query().expect("a query");
        assert_eq!(q, "ab");
        assert!(!p.answer(old, Ok(("a".into(), vec![1]))), "stale answer dropped");
        assert!(p.answer(new, Err("サーバーに届きません".into())));
        assert_eq!((p.loading, p.error.is_some()), (false, true));
        p.input.clear();
        assert!(p.next_query().is_none());
        assert_eq!((p.results.len(), p.loading, p.error.as_deref()), (0, false, None));
    }
}
