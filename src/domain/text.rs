use unicode_script::{Script, ScriptExtension, UnicodeScript};
use unicode_security::MixedScript;

use crate::errors::ParseError;

/// A one-line title: 1 to 200 characters after trimming, no control characters, and
/// nothing that makes it read differently from what it is (see [`check_display_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ParseError("must not be empty".into()));
        }
        if trimmed.chars().count() > Self::MAX {
            return Err(ParseError(format!("must be at most {} characters", Self::MAX)));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ParseError("must be a single line without control characters".into()));
        }
        check_display_text(trimmed, Lines::One)?;
        Ok(Title(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Free text of bounded length (descriptions, summaries, details). May be empty. Line
/// breaks are kept, as `\n` (a `\r\n` or lone `\r` becomes `\n`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, ParseError> {
        let text = raw.trim().replace("\r\n", "\n").replace('\r', "\n");
        if text.chars().count() > max_chars {
            return Err(ParseError(format!("must be at most {max_chars} characters")));
        }
        if let Some(c) = text.chars().find(|&c| c.is_control() && c != '\n') {
            let tab = if c == '\t' { " (a tab; use spaces)" } else { "" };
            return Err(ParseError(format!(
                "must not contain control characters such as {}{tab}; only line breaks are kept",
                code_point(c)
            )));
        }
        check_display_text(&text, Lines::Many)?;
        Ok(BoundedText(text))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Whether line breaks belong in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

/// Text that residents read must show what it says. Refused:
///
/// - controls that reorder text (right-to-left overrides and embeddings, isolates and
///   direction marks), which can make "Close the library" display as something else;
/// - invisible characters (zero-width spaces and joiners, word joiners, byte-order marks,
///   variation selectors, tag characters, blank "filler" letters, and the soft hyphen in
///   one-line text), which make two texts that look the same differ. A zero-width joiner
///   or non-joiner between two letters of one script that needs them (Persian, the Indian
///   scripts…) is allowed: there they change how the letters join, not what they are;
/// - line and paragraph separators (only `\n` breaks a line, and only in long text);
/// - words that mix scripts (a Latin word with a Cyrillic `а` in it looks like the Latin
///   word but is not), following Unicode's mixed-script detection (UTS #39): a word is
///   accepted when its letters share one script (accents and combining marks included, so
///   Welsh `ŵ` and `ŷ` are fine), or when it is Latin with Chinese, Japanese or Korean
///   (UTS #39's "highly restrictive" level). Words are split at spaces, digits and
///   punctuation, so a title may use several scripts, one per word.
fn check_display_text(text: &str, lines: Lines) -> Result<(), ParseError> {
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joiner_between_letters = || {
            matches!(c, '\u{200C}' | '\u{200D}')
                && i > 0
                && chars.get(i + 1).is_some_and(|&next| joins_letters_of_one_script(chars[i - 1], next))
        };
        if let Some(why) = refused_char(c, lines)
            && !joiner_between_letters()
        {
            return Err(ParseError(format!("must not contain {} ({why})", code_point(c))));
        }
    }
    for word in text.split(|c: char| ScriptExtension::from(c).is_common()).filter(|w| !w.is_empty()) {
        if !single_script_word(word) {
            return Err(ParseError(format!(
                "the word {word:?} mixes letters of different scripts ({}), so it can pass for another word; write each word in one script",
                scripts_of(word).join(" and ")
            )));
        }
    }
    Ok(())
}

/// Why `c` may not appear, or `None` if it may.
fn refused_char(c: char, lines: Lines) -> Option<&'static str> {
    Some(match c {
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
            "a control that changes the direction text is shown in"
        }
        '\u{00AD}' if lines == Lines::One => "a soft hyphen, which is invisible",
        '\u{200B}' => "a zero-width space, which is invisible",
        '\u{200C}' | '\u{200D}' => "a zero-width joiner, which is invisible here",
        '\u{034F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' => "an invisible character",
        '\u{2065}' | '\u{206A}'..='\u{206F}' | '\u{FFF9}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}' => "an invisible formatting character",
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' => "a variation selector, which is invisible",
        '\u{E0000}'..='\u{E007F}' => "a tag character, which is invisible",
        '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{2800}' | '\u{3164}' | '\u{FFA0}' => {
            "a blank character that looks like nothing"
        }
        '\u{2028}' | '\u{2029}' => match lines {
            Lines::One => "a line break",
            Lines::Many => "a line or paragraph separator; use a plain line break",
        },
        _ => return None,
    })
}

/// Whether a zero-width joiner or non-joiner between `before` and `after` shapes letters
/// of one script that uses them, rather than hiding inside a Latin, Greek or Cyrillic word.
fn joins_letters_of_one_script(before: char, after: char) -> bool {
    let script = before.script();
    script == after.script()
        && !matches!(script, Script::Latin | Script::Greek | Script::Cyrillic | Script::Common | Script::Inherited | Script::Unknown)
}

/// One script (UTS #39 "single script", with Han, Hiragana, Katakana, Hangul and Bopomofo
/// resolved as Japanese, Korean or Chinese writing), or Latin with one of those.
fn single_script_word(word: &str) -> bool {
    if word.is_single_script() {
        return true;
    }
    let without_latin: String = word.chars().filter(|&c| !ScriptExtension::from(c).contains_script(Script::Latin)).collect();
    let set = without_latin.as_str().resolve_script_set();
    set.hanb || set.jpan || set.kore
}

/// The scripts of a word's letters, in the order they first appear, for messages.
fn scripts_of(word: &str) -> Vec<&'static str> {
    let mut names = Vec::new();
    for c in word.chars() {
        let script = c.script();
        if !matches!(script, Script::Common | Script::Inherited | Script::Unknown) && !names.contains(&script.full_name()) {
            names.push(script.full_name());
        }
    }
    names
}

/// `U+202E`
fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(Title::parse("  Day centre ").unwrap().as_str(), "Day centre");
        assert!(Title::parse("   ").is_err());
        assert!(Title::parse(&"x".repeat(201)).is_err());
        assert!(Title::parse("two\nlines").is_err());
        assert!(BoundedText::parse("a\nb", 10).is_ok());
        assert!(BoundedText::parse("abc", 2).is_err());
    }

    #[test]
    fn line_breaks_are_plain_newlines() {
        assert_eq!(BoundedText::parse("a\r\nb\rc", 10).unwrap().into_string(), "a\nb\nc");
        assert!(BoundedText::parse("a\tb", 10).unwrap_err().0.contains("tab"));
        assert!(BoundedText::parse("a\u{2029}b", 10).is_err());
    }

    #[test]
    fn text_that_reads_as_something_else_is_refused() {
        for bad in [
            "Close the \u{202E}yrarbil",
            "Day\u{200B}centre",
            "Park\u{2060}s",
            "\u{FEFF}Parks",
            "Libr\u{00AD}ary",
            "Parks\u{FE0F}",
            "p\u{0430}rk",                 // a Cyrillic а in a Latin word
            "\u{0421}lose the day centre", // a Cyrillic С
            "Close the \u{3164} centre",
            "Parks\u{200D}",
        ] {
            let err = Title::parse(bad).unwrap_err().0;
            assert!(err.contains("U+") || err.contains("scripts"), "{bad:?}: {err}");
        }
        assert!(Title::parse("p\u{0430}rk").unwrap_err().0.contains("Latin and Cyrillic"));
        assert!(BoundedText::parse("Read \u{202E}this", 100).is_err());
        // Soft hyphens are hyphenation hints in long text.
        assert!(BoundedText::parse("Libr\u{00AD}ary", 100).is_ok());
    }

    #[test]
    fn honest_text_in_any_one_script_per_word_is_accepted() {
        for good in [
            "Cyngor Sir Ddinbych: cyllideb 2027–28",
            "Ŵyn, ŷd a châr",
            "Café in the park: £1,200 (50%)",
            "Бюджет громади 2027",
            "Budżet obywatelski / Бюджет громади",
            "Kraków-Київ",
            "Ελληνικά",
            "市民予算 2027 と カフェ",
            "Tシャツ",
            "주민참여예산",
            "می\u{200C}خواهم",
            "क्\u{200D}ष",
        ] {
            assert!(Title::parse(good).is_ok(), "{good:?}: {:?}", Title::parse(good));
        }
    }
}
