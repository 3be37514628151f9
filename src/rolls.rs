//! Voter rolls: reading the council's CSV (name, address, reference, area), every bad row
//! named by its line, before anything is stored. (Storing is `storage::rolls`.)
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{BoundedText, Title};

/// The most rows one import takes.
pub const MAX_ROWS: usize = 200_000;

/// One person of the roll, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RollRow {
    /// The line of the file (the header is line 1).
    pub line: u64,
    pub name: String,
    pub address: String,
    /// The council's own reference for the person (unique in the consultation).
    pub reference: String,
    pub area: Option<String>,
}

/// A row that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowProblem {
    pub line: u64,
    pub problem: String,
}

/// Read a roll. `areas` are the consultation's areas (empty: any area, or none, is kept as
/// given). Returns the rows and the problems; a roll with any problem imports nothing.
pub fn read(text: &str, areas: &[String]) -> (Vec<RollRow>, Vec<RowProblem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase()).collect(),
        Err(e) => return (rows, vec![RowProblem { line: 1, problem: format!("the first line cannot be read: {e}") }]),
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (name_at, address_at, reference_at, area_at) = (column("name"), column("address"), column("reference"), column("area"));
    let missing: Vec<&str> = [("name", name_at), ("address", address_at), ("reference", reference_at)]
        .iter()
        .filter(|(_, at)| at.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        let problem =
            format!("the first line must name the columns name, address, reference and (if used) area; missing: {}", missing.join(", "));
        return (rows, vec![RowProblem { line: 1, problem }]);
    }
    // The line of a byte offset, counted here: the CSV reader does not count blank lines.
    let newlines: Vec<usize> = text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i).collect();
    // (A record after blank lines starts, for the reader, where they do: skip them.)
    let bytes = text.as_bytes();
    let line_at = |byte: u64| {
        let mut at = byte as usize;
        while at < bytes.len() && (bytes[at] == b'\n' || bytes[at] == b'\r') {
            at += 1;
        }
        newlines.partition_point(|&n| n < at) as u64 + 1
    };
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                problems.push(RowProblem { line, problem: format!("cannot be read as CSV: {e}") });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        if rows.len() + problems.len() >= MAX_ROWS {
            problems.push(RowProblem { line, problem: format!("a roll takes at most {MAX_ROWS} people; split the file") });
            break;
        }
        let cell = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or("").to_owned();
        let mut wrong = Vec::new();
        let name = match Title::parse(&cell(name_at)) {
            Ok(t) => t.into_string(),
            Err(e) => {
                wrong.push(format!("name {e}"));
                String::new()
            }
        };
        let address = cell(address_at);
        let address = if address.is_empty() {
            wrong.push("address is empty".into());
            address
        } else {
            match BoundedText::parse(&address, 500) {
                Ok(t) => t.into_string(),
                Err(e) => {
                    wrong.push(format!("address {e}"));
                    address
                }
            }
        };
        let reference = cell(reference_at);
        if reference.is_empty() || reference.chars().count() > 100 || reference.chars().any(char::is_control) {
            wrong.push("reference must be 1 to 100 characters".into());
        } else if let Some(first) = seen.get(&reference) {
            wrong.push(format!("reference {reference:?} is also on line {first}"));
        } else {
            seen.insert(reference.clone(), line);
        }
        let area = Some(cell(area_at)).filter(|a| !a.is_empty());
        if let Some(a) = &area {
            if !areas.is_empty() && !areas.contains(a) {
                wrong.push(format!("area {a:?} is not one of the consultation's areas ({})", areas.join(", ")));
            } else if a.chars().count() > 200 {
                wrong.push("area is longer than 200 characters".into());
            }
        }
        if wrong.is_empty() {
            rows.push(RollRow { line, name, address, reference, area });
        } else {
            problems.push(RowProblem { line, problem: wrong.join("; ") });
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(RowProblem { line: 1, problem: "the file has no people in it".into() });
    }
    (rows, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_rows_are_read_and_bad_ones_named_by_line() {
        let text = "Name,Address,Reference,Area\n\
                    Ann Jones,\"1 High St, Riverside\",R1,North\n\
                    ,2 Low St,R2,North\n\
                    Bo Li,3 Mill Lane,R1,South\n\
                    Cy Day,4 Park Rd,R4,West\n\
                    \n\
                    Di Eve,5 Wood Way,R5,\n";
        let (rows, problems) = read(text, &["North".into(), "South".into()]);
        assert_eq!(rows.iter().map(|r| (r.line, r.reference.as_str())).collect::<Vec<_>>(), [(2, "R1"), (7, "R5")]);
        assert_eq!(rows[0].address, "1 High St, Riverside");
        assert_eq!(rows[1].area, None);
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5], "{problems:?}");
        assert!(problems[1].problem.contains("also on line 2"), "{problems:?}");
        assert!(problems[2].problem.contains("West"), "{problems:?}");
    }

    #[test]
    fn a_file_without_the_columns_is_refused_at_line_one() {
        let (rows, problems) = read("who,where\nAnn,1 High St\n", &[]);
        assert!(rows.is_empty());
        assert_eq!(problems[0].line, 1);
        assert!(problems[0].problem.contains("name, address, reference"), "{problems:?}");
        assert_eq!(read("name,address,reference\n", &[]).1[0].problem, "the file has no people in it");
    }
}
