//! Invalid input is an error that names the place, never a panic and never a
//! silent repair.

mod common;

use pbvote_tally::{Ballot, BallotError, BallotErrorKind, BallotField, BallotPaper, Count, TallyError, exchange, tally};

fn ballot(want: &[&str], dont_want: &[&str], uses: &[&str]) -> Ballot {
    let v = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect();
    Ballot { want: v(want), dont_want: v(dont_want), uses: v(uses), channel: None, area: None }
}

fn with_extra_ballot(extra: Ballot) -> TallyError {
    let mut election = common::worked_example();
    election.ballots.insert(12, extra);
    tally(&election).unwrap_err()
}

#[test]
fn invalid_ballots_are_rejected_with_their_place() {
    let cases = [
        (ballot(&["S1", "S2", "S3", "D1"], &[], &[]), "ballots[12].want: has 4 entries; config.rank_depth allows at most 3"),
        (ballot(&[], &["S1", "S2", "S3", "D1"], &[]), "ballots[12].dont_want: has 4 entries; config.rank_depth allows at most 3"),
        (ballot(&["S1", "S2", "S1"], &[], &[]), "ballots[12].want[2]: \"S1\" appears twice"),
        (ballot(&[], &["S2", "S2"], &[]), "ballots[12].dont_want[1]: \"S2\" appears twice"),
        (ballot(&["S1"], &["D1", "S1"], &[]), "ballots[12].dont_want[1]: \"S1\" appears twice"),
        (ballot(&["S1", "S2", "X"], &[], &[]), "ballots[12].want[2]: unknown proposal \"X\""),
        (ballot(&[], &["s1"], &[]), "ballots[12].dont_want[0]: unknown proposal \"s1\""),
        (ballot(&[], &[], &["day-centre", "pool"]), "ballots[12].uses[1]: unknown service \"pool\""),
        (ballot(&["day-centre"], &[], &[]), "ballots[12].want[0]: unknown proposal \"day-centre\""),
        (ballot(&[], &[], &["S1"]), "ballots[12].uses[0]: unknown service \"S1\""),
    ];
    for (bad, message) in cases {
        assert_eq!(with_extra_ballot(bad).to_string(), message);
    }
}

#[test]
fn empty_ballots_and_repeated_uses_are_valid() {
    let mut election = common::worked_example();
    election.ballots.push(Ballot::default());
    election.ballots.push(ballot(&[], &[], &["day-centre", "day-centre"]));
    let result = tally(&election).unwrap();
    assert_eq!(result.summary.ballots, 102);
    // The repeated entry counts its ballot once.
    assert_eq!(result.proposal("S1").unwrap().users, 11);
}

#[test]
fn check_ballot_gives_field_entry_and_resident_message() {
    let e = common::worked_example();
    let paper = BallotPaper::new(e.config, e.services, e.proposals).unwrap();
    let s = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let err = paper.check_ballot(&s(&["S1", "S2", "S3", "D1"]), &[], &[]).unwrap_err();
    assert_eq!(err, BallotError { field: BallotField::Want, index: None, kind: BallotErrorKind::TooLong { max: 3, got: 4 } });
    assert_eq!(err.to_string(), "\"want\" has 4 choices; at most 3 are allowed");
    let err = paper.check_ballot(&s(&["S1"]), &s(&["S1"]), &[]).unwrap_err();
    assert_eq!((err.field, err.index), (BallotField::DontWant, Some(0)));
    assert_eq!(err.field.to_string(), "dont_want");
    assert!(err.to_string().contains("\"S1\" is chosen more than once"));
    let err = paper.check_ballot(&[], &[], &s(&["pool"])).unwrap_err();
    assert_eq!(err.to_string(), "\"pool\" is not a service in this consultation");
    assert_eq!(serde_json::to_value(&err).unwrap()["field"], "uses");
    assert!(paper.check_ballot(&s(&["S1", "S2", "S3"]), &s(&["D1"]), &s(&["day-centre"])).is_ok());
}

#[test]
fn a_rejected_ballot_leaves_the_count_unchanged() {
    let e = common::worked_example();
    let paper = BallotPaper::new(e.config.clone(), e.services.clone(), e.proposals.clone()).unwrap();
    let mut count = Count::new(&paper);
    for b in &e.ballots {
        count.add(b).unwrap();
    }
    let before = count.result();
    assert!(count.add(&ballot(&["S1", "S2"], &["S3", "S3"], &["day-centre"])).is_err());
    assert!(count.add_indexed(&[0, 1], &[7], &[], None, None).is_err());
    assert!(count.add_indexed(&[0, 0], &[], &[], None, None).is_err());
    assert!(count.add_indexed(&[0], &[], &[3], None, None).is_err());
    assert_eq!(count.ballots(), 100);
    assert_eq!(count.result(), before);
    // add_indexed accepts the same ballots as add, with the same effect.
    let mut by_index = Count::new(&paper);
    for b in &e.ballots {
        let idx = |ids: &[String]| ids.iter().map(|id| paper.proposal_index(id).unwrap()).collect::<Vec<_>>();
        let uses: Vec<u32> = b.uses.iter().map(|id| paper.service_index(id).unwrap()).collect();
        by_index.add_indexed(&idx(&b.want), &idx(&b.dont_want), &uses, None, None).unwrap();
    }
    assert_eq!(by_index.result(), before);
}

#[test]
fn invalid_papers_name_the_field() {
    let mut e = common::worked_example();
    e.config.rank_depth = 0;
    assert_eq!(tally(&e).unwrap_err().to_string(), "config.rank_depth: must be between 1 and 20, got 0");
    let mut e = common::worked_example();
    e.proposals[2].service = Some("pool".into());
    assert_eq!(tally(&e).unwrap_err().to_string(), "proposals[2].service: unknown service \"pool\"");
    let mut e = common::worked_example();
    e.proposals[3].id = "S2".into();
    assert_eq!(tally(&e).unwrap_err().to_string(), "proposals[3].id: duplicate proposal id \"S2\" (also proposals[1])");
    let mut e = common::worked_example();
    e.currency = Some("£".into());
    assert_eq!(
        tally(&e).unwrap_err().to_string(),
        "currency: must be a three-letter ISO 4217 currency code in capitals, such as GBP or EUR, got \"£\""
    );
    let mut e = common::worked_example();
    e.services.push(e.services[0].clone());
    assert_eq!(tally(&e).unwrap_err().to_string(), "services[1].id: duplicate service id \"day-centre\" (also services[0])");
}

fn parse_err(doc: &str) -> TallyError {
    let parsed = exchange::parse(doc.as_bytes()).and_then(|e| tally(&e));
    let counted = exchange::count(doc.as_bytes());
    let (a, b) = (parsed.unwrap_err(), counted.unwrap_err());
    assert_eq!(a, b, "parse+tally and count disagree on {doc}");
    a
}

#[test]
fn malformed_json_gives_line_and_column() {
    let err = parse_err("{\n  \"proposals\": [\n    {\"id\": \"S1\",, }\n  ]\n}");
    match &err {
        TallyError::Json { path, line, column, .. } => {
            assert_eq!((path.as_str(), *line, *column), ("proposals[0]", 3, 17), "{err}");
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
    assert_eq!(err.to_string(), "proposals[0]: invalid JSON: key must be a string (line 3, column 17)", "{err}");
    assert_eq!(parse_err("").to_string(), "invalid JSON: EOF while parsing a value (line 1, column 0)");
    assert!(parse_err("{\"proposals\": [], \"ballots\": []} x").to_string().contains("trailing characters (line 1, column 34)"));
    assert_eq!(
        parse_err("[1, 2]").to_string(),
        "invalid type: sequence, expected an election object with \"proposals\" and \"ballots\" (line 1, column 0)"
    );
    let err = parse_err("{\"proposals\": [], \n\"ballots\": [{\"want\": [\"\u{e9}\"]}]}");
    assert!(matches!(err, TallyError::Ballot { .. }), "{err}");
    let not_utf8 = exchange::count(b"{\"proposals\": [],\n \"ballots\": [\"\xff\"]}").unwrap_err();
    assert_eq!(not_utf8.to_string(), "invalid JSON: the input is not valid UTF-8 (at byte offset 32) (line 2, column 15)");
}

#[test]
fn wrong_values_name_their_path() {
    let cases = [
        (
            r#"{"proposals": [{"id": "A", "kind": "saving", "amount": 1}, {"id": "B", "kind": "saving", "amount": -5}], "ballots": []}"#,
            "proposals[1].amount: must be a whole number >= 0, got -5",
        ),
        (
            r#"{"proposals": [{"id": "A", "kind": "saving", "amount": 1.5}], "ballots": []}"#,
            "proposals[0].amount: must be a whole number, got 1.5",
        ),
        (
            r#"{"proposals": [{"id": "A", "kind": "saving", "amount": "10"}], "ballots": []}"#,
            "proposals[0].amount: invalid type: string \"10\", expected a whole number >= 0",
        ),
        (
            r#"{"proposals": [{"id": "A", "kind": "cut", "amount": 1}], "ballots": []}"#,
            "proposals[0].kind: unknown variant `cut`, expected `saving` or `development`",
        ),
        (r#"{"proposals": [{"id": "A", "amount": 1}], "ballots": []}"#, "proposals[0]: missing field `kind`"),
        (
            r#"{"proposals": [{"id": "A", "kind": "saving", "amount": 1, "amount": 2}], "ballots": []}"#,
            "proposals[0]: duplicate field `amount`",
        ),
        (
            r#"{"config": {"rank_depth": "3"}, "proposals": [], "ballots": []}"#,
            "config.rank_depth: invalid type: string \"3\", expected a whole number >= 0",
        ),
        (
            r#"{"config": {"max_weight": 5000000000}, "proposals": [], "ballots": []}"#,
            "config.max_weight: is too large: 5000000000 (at most 4294967295)",
        ),
        (
            r#"{"proposals": [{"id": "A", "kind": "saving", "amount": 18446744073709551616}], "ballots": []}"#,
            "proposals[0].amount: is too large (at most 18446744073709551615)",
        ),
        (
            r#"{"config": {"rank_depth": 99999999999999999999}, "proposals": [], "ballots": []}"#,
            "config.rank_depth: is too large (at most 4294967295)",
        ),
        (
            r#"{"proposals": [{"id": "A", "kind": "saving", "amount": 1e19}], "ballots": []}"#,
            "proposals[0].amount: must be written as a whole number without a decimal point or exponent when above 9007199254740992",
        ),
        (
            r#"{"proposals": [{"id": "A", "kind": "saving", "amount": -18446744073709551616}], "ballots": []}"#,
            "proposals[0].amount: must be a whole number >= 0, got a negative number",
        ),
        (
            r#"{"proposals": [], "ballots": [{}, {"want": ["A", 7]}]}"#,
            "ballots[1].want[1]: invalid type: integer `7`, expected an id (a string)",
        ),
        (
            r#"{"proposals": [], "ballots": [{"channel": "phone"}]}"#,
            "ballots[0].channel: unknown variant `phone`, expected one of `online`, `meeting`, `paper`",
        ),
        (
            r#"{"proposals": [], "ballots": [{"uses": "pool"}]}"#,
            "ballots[0].uses: invalid type: string \"pool\", expected a list of service ids",
        ),
        (r#"{"services": [{"name": "x"}], "proposals": [], "ballots": []}"#, "services[0]: missing field `id`"),
        (
            r#"{"currency": "pounds", "proposals": [], "ballots": []}"#,
            "currency: must be a three-letter ISO 4217 currency code in capitals, such as GBP or EUR, got \"pounds\"",
        ),
        (
            r#"{"proposals": [], "ballots": [], "currency": "gbp"}"#,
            "currency: must be a three-letter ISO 4217 currency code in capitals, such as GBP or EUR, got \"gbp\"",
        ),
        (
            r#"{"currency": 826, "proposals": [], "ballots": []}"#,
            "currency: invalid type: integer `826`, expected a currency code (a string)",
        ),
        (r#"{"currency": null, "currency": "GBP", "proposals": [], "ballots": []}"#, "duplicate field `currency`"),
        (r#"{"proposals": []}"#, "missing field `ballots`"),
        (r#"{"ballots": [], "ballots": []}"#, "duplicate field `ballots`"),
    ];
    for (doc, expected) in cases {
        let message = parse_err(doc).to_string();
        assert!(message.starts_with(expected), "{doc}\n  gave {message}\n  want {expected} (line .., column ..)");
        assert!(message.contains("(line 1, column "), "{message}");
    }
    // The largest amount itself is accepted.
    let largest = r#"{"proposals": [{"id": "A", "kind": "saving", "amount": 18446744073709551615}], "ballots": []}"#;
    let result = exchange::count(largest.as_bytes()).unwrap();
    assert_eq!(result.proposals[0].amount, u64::MAX);
}

#[test]
fn content_errors_are_the_same_whatever_the_key_order() {
    // Ballots first: buffered, checked after parsing. Ballots last: streamed.
    let proposals = r#""proposals": [{"id": "A", "kind": "saving", "amount": 1}]"#;
    let ballots = r#""ballots": [{"want": ["A"]}, {"want": ["A", "Z"]}]"#;
    let first = parse_err(&format!("{{{ballots}, {proposals}}}"));
    let last = parse_err(&format!("{{{proposals}, \"services\": [], \"config\": {{}}, {ballots}}}"));
    assert_eq!(first, last);
    assert_eq!(first.to_string(), "ballots[1].want[1]: unknown proposal \"Z\"");
    let dup = r#""proposals": [{"id": "A", "kind": "saving", "amount": 1}, {"id": "A", "kind": "saving", "amount": 1}]"#;
    let err = parse_err(&format!("{{\"config\": {{}}, \"services\": [], {dup}, \"ballots\": []}}"));
    assert_eq!(err.to_string(), "proposals[1].id: duplicate proposal id \"A\" (also proposals[0])");
}

#[test]
fn unknown_fields_and_nulls_are_accepted() {
    let doc = r#"{"title": "x", "config": {"rank_depth": 2, "savings_target": null, "note": [1, {"a": 2}]},
      "services": [{"id": "s", "name": null, "colour": "red"}],
      "proposals": [{"id": "A", "kind": "saving", "amount": 80000.0, "service": null, "title": null, "x": 1}],
      "ballots": [{"want": ["A"], "dont_want": null, "uses": ["s"], "channel": null, "area": null, "when": "today"}]}"#;
    let result = exchange::count(doc.as_bytes()).unwrap();
    assert_eq!(result.proposals[0].amount, 80_000);
    assert!(result.proposals[0].adopted);
}

#[test]
fn null_config_services_and_settings_mean_missing() {
    let proposals = r#""proposals": [{"id": "A", "kind": "saving", "amount": 1}]"#;
    let ballots = r#""ballots": [{"want": ["A"]}]"#;
    let missing = exchange::count(format!("{{{proposals}, {ballots}}}").as_bytes()).unwrap();
    let nulls = [
        r#""config": null, "services": null, "currency": null"#.to_string(),
        format!(
            r#""config": {{{}}}"#,
            [
                "rank_depth",
                "minority_share_percent",
                "max_weight",
                "min_group",
                "protect_threshold_percent",
                "savings_target",
                "development_budget",
            ]
            .map(|field| format!("\"{field}\": null"))
            .join(", ")
        ),
    ];
    for given in nulls {
        // Before the ballots (streamed) and after them (buffered).
        for doc in [format!("{{{given}, {proposals}, {ballots}}}"), format!("{{{ballots}, {given}, {proposals}}}")] {
            let parsed = exchange::parse(doc.as_bytes()).unwrap();
            assert_eq!(parsed.config, pbvote_tally::Config::default(), "{doc}");
            assert!(parsed.services.is_empty(), "{doc}");
            assert_eq!(exchange::count(doc.as_bytes()).unwrap(), missing, "{doc}");
        }
    }
    // A null is still only one value: giving the field twice is an error.
    let twice = parse_err(&format!("{{\"config\": null, \"config\": {{}}, {proposals}, {ballots}}}"));
    assert!(twice.to_string().starts_with("duplicate field `config`"), "{twice}");
    let twice = parse_err(&format!("{{\"config\": {{\"max_weight\": null, \"max_weight\": 3}}, {proposals}, {ballots}}}"));
    assert!(twice.to_string().starts_with("config: duplicate field `max_weight`"), "{twice}");
    // Required fields stay required.
    let err = parse_err(r#"{"proposals": null, "ballots": []}"#);
    assert!(err.to_string().starts_with("proposals: invalid type: null"), "{err}");
}

#[test]
fn escaped_ids_are_interned_like_plain_ones() {
    let doc = r#"{"config": {}, "services": [], "proposals": [{"id": "Ś/1", "kind": "development", "amount": 1}],
      "ballots": [{"want": ["\u015a\/1"]}, {"want": ["Ś/1"]}]}"#;
    let result = exchange::count(doc.as_bytes()).unwrap();
    assert_eq!(result.proposals[0].want_count, 2);
}
