//! The app's colours meet WCAG 2 AA contrast (4.5:1 for text) in every pairing its style
//! sheet uses: text on the page and on panels, the states' words, button and badge text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

const CSS: &str = include_str!("../assets/app.css");

/// The colour of custom property `--name` in `:root`, as sRGB bytes.
fn var(name: &str) -> [u8; 3] {
    let key = format!("--{name}:");
    let at = CSS.find(&key).unwrap_or_else(|| panic!("no {key}")) + key.len();
    let hex = CSS[at..].trim_start().trim_start_matches('#');
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
    [byte(0), byte(2), byte(4)]
}

fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn every_text_colour_meets_aa() {
    let white = [0xff, 0xff, 0xff];
    let pairs = [
        ("fg", var("fg"), "bg", var("bg")),
        ("fg", var("fg"), "panel", var("panel")),
        ("muted", var("muted"), "bg", var("bg")),
        ("muted", var("muted"), "panel", var("panel")),
        ("accent", var("accent"), "bg", var("bg")),
        ("white", white, "accent", var("accent")),
        ("ok", var("ok"), "panel", var("panel")),
        ("warn", var("warn"), "panel", var("panel")),
        ("fail", var("fail"), "panel", var("panel")),
        ("ok", var("ok"), "bg", var("bg")),
        ("warn", var("warn"), "bg", var("bg")),
        ("fail", var("fail"), "bg", var("bg")),
        ("white", white, "warn", var("warn")),
        ("white", white, "fail", var("fail")),
        ("white", white, "fg", var("fg")),
    ];
    for (a, ca, b, cb) in pairs {
        let ratio = contrast(ca, cb);
        assert!(ratio >= 4.5, "{a} on {b}: {ratio:.2}:1");
    }
    assert!((contrast([0, 0, 0], white) - 21.0).abs() < 0.01);
}
