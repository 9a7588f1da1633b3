use super::*;
use proptest::prelude::*;

fn ev(id: Option<&str>, event: Option<&str>, data: &str) -> SseEvent {
    SseEvent {
        id: id.map(Into::into),
        event: event.map(Into::into),
        data: data.into(),
    }
}

const STREAM: &str = ": hello\r\nid: s.1\r\nevent: init\r\ndata: {\"a\":1}\r\n\r\nretry: 10\nid:s.2\ndata: one\ndata:two\n\n\rdata: x\r\r: only a comment\n\ndata\n\n";

fn expected() -> Vec<SseEvent> {
    vec![
        ev(Some("s.1"), Some("init"), "{\"a\":1}"),
        ev(Some("s.2"), None, "one\ntwo"),
        ev(None, None, "x"),
        ev(None, None, ""),
    ]
}

#[test]
fn frames_with_every_line_end_comments_and_multi_line_data() {
    assert_eq!(SseParser::new().push(STREAM), expected());
}

#[test]
fn a_crlf_split_across_chunks_is_one_line_end() {
    let mut p = SseParser::new();
    let mut out = p.push("data: a\r");
    out.extend(p.push("\ndata: b\r"));
    out.extend(p.push("\n\r"));
    out.extend(p.push("\n"));
    assert_eq!(out, vec![ev(None, None, "a\nb")]);
}

#[test]
fn a_cr_then_text_then_a_lf_is_two_line_ends() {
    let mut p = SseParser::new();
    let mut out = p.push("data: a\r");
    out.extend(p.push("b"));
    out.extend(p.push("\n\n"));
    assert_eq!(out, vec![ev(None, None, "a")]);
}

#[test]
fn an_event_without_its_blank_line_waits_and_a_bom_is_skipped() {
    let mut p = SseParser::new();
    assert!(p.push("\u{feff}data: é").is_empty());
    assert!(p.push("t\n").is_empty());
    assert_eq!(p.push("\n"), vec![ev(None, None, "ét")]);
}

#[test]
fn fields_of_a_dispatched_event_do_not_leak_into_the_next() {
    let mut p = SseParser::new();
    let out = p.push("id: 1\nevent: a\ndata: x\n\ndata: y\n\nevent: b\n\ndata: z\n\n");
    assert_eq!(
        out,
        vec![
            ev(Some("1"), Some("a"), "x"),
            ev(None, None, "y"),
            ev(None, None, "z")
        ]
    );
}

proptest! {
    #[test]
    fn any_chunking_gives_the_same_events(cuts in proptest::collection::vec(0usize..200, 0..12)) {
        let chars: Vec<char> = STREAM.chars().collect();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (chars.len() + 1)).collect();
        cuts.sort_unstable();
        let mut p = SseParser::new();
        let mut out = Vec::new();
        let mut from = 0;
        for c in cuts.into_iter().chain([chars.len()]) {
            let piece: String = chars[from..c].iter().collect();
            out.extend(p.push(&piece));
            from = c;
        }
        prop_assert_eq!(out, expected());
    }
}
