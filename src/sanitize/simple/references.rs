//! Character references read as html5ever's tokenizer reads them, in text and in
//! attribute values, and characters written back as its serializer escapes them.

/// Where a reference or character stands, which changes both how the tokenizer
/// reads a reference and what the serializer escapes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Text,
    /// A quoted or unquoted attribute value.
    Attribute,
}

/// Reads the character reference that `rest` starts with (what follows a `&`) and
/// writes what it stands for; returns the bytes read after the `&`, or `None` for a
/// reference to a character this module leaves to the tree.
pub(super) fn reference(rest: &str, place: Place, out: &mut String) -> Option<usize> {
    let (decoded, len) = match rest.as_bytes().first() {
        Some(b'#') => numeric_reference(&rest[1..]).map(|(c, len)| ([c, '\0'], len + 1))?,
        Some(b) if b.is_ascii_alphanumeric() => match named_reference(rest, place) {
            Some((chars, len)) => (chars, len),
            // No name matches: the `&` is text, and so is what follows it.
            None => (['&', '\0'], 0),
        },
        // Nor does a `&` followed by anything else start a reference.
        _ => (['&', '\0'], 0),
    };
    for c in decoded.into_iter().filter(|&c| c != '\0') {
        push_escaped(out, c, place)?;
    }
    Some(len)
}

/// Writes `c` as the serializer does in `place`; `None` for a character the
/// tokenizer would not have taken as it is.
pub(super) fn push_escaped(out: &mut String, c: char, place: Place) -> Option<()> {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '\u{A0}' => out.push_str("&nbsp;"),
        '"' if place == Place::Attribute => out.push_str("&quot;"),
        c if is_taken_as_is(u32::from(c)) => out.push(c),
        _ => return None,
    }
    Some(())
}

/// The longest name in html5ever's own table of named references that `rest` (after
/// a `&`) starts with, as the characters it stands for (the second `\0` when it is
/// one) and its length. In text a name matches with or without its `;`; in an
/// attribute value a match without `;` followed by `=` or a letter or digit is no
/// reference ("for historical reasons", as the tokenizer says).
fn named_reference(rest: &str, place: Place) -> Option<([char; 2], usize)> {
    let mut longest = None;
    // Names are ASCII; the table also holds every prefix of a name, so the walk
    // stops at the first prefix that is none.
    for len in 1..=rest.len() {
        if !rest.as_bytes()[len - 1].is_ascii() {
            break;
        }
        match html5ever::data::NAMED_ENTITIES.get(&rest[..len]) {
            Some(&(0, _)) => {}
            Some(&(first, second)) => longest = Some((first, second, len)),
            None => break,
        }
    }
    let (first, second, len) = longest?;
    let continues = rest
        .as_bytes()
        .get(len)
        .is_some_and(|&b| b == b'=' || b.is_ascii_alphanumeric());
    if place == Place::Attribute && !rest[..len].ends_with(';') && continues {
        return None;
    }
    Some(([char::from_u32(first)?, char::from_u32(second)?], len))
}

/// Whether the tokenizer takes a decoded code point as it is and the serializer
/// writes it back unescaped: no C0 or C1 control, surrogate or non-character (which
/// the tokenizer replaces or reports), and none of `&<>` or the no-break space.
/// (`"` is escaped in attribute values only: [`push_escaped`] sees to it.)
fn is_taken_as_is(value: u32) -> bool {
    matches!(value, 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFDCF | 0xFDF0..=0xFFFD)
        && !matches!(value, 0x26 | 0x3C | 0x3E | 0xA0)
}

/// `NNN;` or `xHH;` after `&#`: the character and the bytes read, for code points
/// [`is_taken_as_is`] and those the serializer escapes.
fn numeric_reference(rest: &str) -> Option<(char, usize)> {
    let (digits, radix, prefix) = match rest.as_bytes().first() {
        Some(b'x' | b'X') => (&rest[1..], 16, 1),
        _ => (rest, 10, 0),
    };
    let len = digits
        .bytes()
        .take_while(|b| (*b as char).is_digit(radix))
        .count();
    if len == 0 || len > 6 || digits.as_bytes().get(len) != Some(&b';') {
        return None;
    }
    let value = u32::from_str_radix(&digits[..len], radix).ok()?;
    let accepted = is_taken_as_is(value) || matches!(value, 0x26 | 0x3C | 0x3E | 0xA0);
    let c = char::from_u32(value).filter(|_| accepted)?;
    Some((c, prefix + len + 1))
}
