//! Caps on the free-text fields of request bodies: every string a client sends is bounded
//! before it reaches the store or the audit chain (422 saying which field and how long).

use super::ApiError;

/// The other party's name and role on a change (`caller_name`, `caller_role`).
pub const CALLER_MAX_CHARS: usize = 100;
/// An FAQ question, category or id.
pub const FAQ_SHORT_MAX_CHARS: usize = 500;
/// An FAQ answer.
pub const FAQ_ANSWER_MAX_CHARS: usize = 4000;
/// FAQ keywords: how many, and each one's length.
pub const FAQ_KEYWORDS_MAX: usize = 50;
/// A caller's number as the phone system sends it (hyphens, `+81` and spaces included).
pub const PHONE_MAX_CHARS: usize = 40;
/// A name that is an identifier of ours (an operator, a model, an FAQ entry).
pub const NAME_MAX_CHARS: usize = 100;

/// `value` if it has at most `max` characters, else 422 naming the field (`label`, as the
/// operator knows it, and `field`, as the API does).
pub fn bounded<'a>(field: &str, label: &str, value: &'a str, max: usize) -> Result<&'a str, ApiError> {
    let n = value.chars().count();
    if n > max {
        return Err(ApiError::unprocessable(
            "field_too_long",
            format!("{label}（{field}）は{max}文字までです（{n}文字でした）"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(bounded("caller_name", "お名前", &"山".repeat(100), 100).is_ok());
        let e = bounded("caller_name", "お名前", &"山".repeat(101), 100).expect_err("too long");
        assert_eq!(e.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.to_string().contains("caller_name") && e.to_string().contains("101"), "{e}");
    }
}
