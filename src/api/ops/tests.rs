use super::Op;

/// `js/src/ops.ts` holds exactly the Rust table: every `Name: n,` line.
#[test]
fn the_typescript_table_matches() {
    let ts = include_str!("../../../js/src/ops.ts");
    let mut found: Vec<(String, u8)> = ts
        .lines()
        .filter_map(|l| {
            let (name, n) = l.trim().strip_suffix(',')?.split_once(": ")?;
            let n = n.parse().ok()?;
            name.chars()
                .all(|c| c.is_ascii_alphanumeric())
                .then(|| (name.to_owned(), n))
        })
        .collect();
    found.sort_by_key(|(_, n)| *n);
    let rust: Vec<(String, u8)> = Op::ALL.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect();
    assert_eq!(found, rust);
    for (_, n) in Op::ALL {
        assert_eq!(Op::from_u8(*n).map(|op| op as u8), Some(*n));
    }
    assert_eq!(Op::from_u8(255), None);
}
