//! The edits property tests make to real inputs to reach the code behind a parser's first
//! checks: an item (a character, a byte, a line) replaced, removed or inserted.

/// One edit of `items` at `at`, taken modulo the length + 1: `how` 0 replaces the item
/// there with `item`, 1 removes it, anything else (and 0 or 1 at the end) inserts `item`
/// there.
pub fn edit<T>(items: &mut Vec<T>, at: usize, how: u8, item: T) {
    let i = at % (items.len() + 1);
    match how {
        0 if i < items.len() => items[i] = item,
        1 if i < items.len() => {
            items.remove(i);
        }
        _ => items.insert(i, item),
    }
}

/// `text` with one character edit (see [`edit`]).
pub fn edit_chars(text: &str, at: usize, how: u8, c: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    edit(&mut chars, at, how, c);
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_remove_insert() {
        assert_eq!(edit_chars("abc", 1, 0, 'x'), "axc");
        assert_eq!(edit_chars("abc", 1, 1, 'x'), "ac");
        assert_eq!(edit_chars("abc", 1, 2, 'x'), "axbc");
        assert_eq!(edit_chars("abc", 7, 2, 'x'), "abcx");
        assert_eq!(edit_chars("abc", 3, 0, 'x'), "abcx");
        assert_eq!(edit_chars("", 5, 1, 'x'), "x");
    }
}
