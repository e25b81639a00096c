//! The CSV import wizard's pure core, shared by the browser and the server (and the fuzz target):
//! reading a file into a table (`parse`), matching its headers to fields (`auto_map`), turning a
//! row into the very request type the bulk API takes (`to_request` — so its validation is the one
//! path of the dialogs, server functions and API), resolving role, node and application
//! references, and writing the failed rows back out as a formula-safe CSV (`failed_rows_csv`).
//! Limits and choices: decisions.md › CSV import.

use crate::error::FieldError;
use crate::model::{DirectoryIdentityForm, IdentityForm, InviteForm};
use serde::{Deserialize, Serialize};

/// The largest file the wizard reads (5 MiB: 10,000 rows of a dozen columns fit many times over).
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// The most data rows one file may have (the header row not counted).
pub const MAX_ROWS: usize = 10_000;
/// The most columns a row may have.
pub const MAX_COLUMNS: usize = 50;
/// The longest cell, in characters (longer than any field the forms accept).
pub const MAX_CELL_CHARS: usize = 1_000;

/// What the import does with each row; chosen in step 1 and locked after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Access Control › Identities: invite each row (an email each), optionally with role + node.
    Invite,
    /// Access Control › Identities: create each identity as a member of the application.
    Create,
    /// Tenant › Identities: create each identity in the account's directory.
    Account,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Invite => "invite",
            ImportMode::Create => "create",
            ImportMode::Account => "account",
        }
    }

    pub fn parse(value: &str) -> Option<ImportMode> {
        [ImportMode::Invite, ImportMode::Create, ImportMode::Account]
            .into_iter()
            .find(|m| m.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportMode::Invite => "Bulk invite",
            ImportMode::Create => "Bulk create",
            ImportMode::Account => "Create in the directory",
        }
    }

    /// The fields a file may fill in this mode, in template order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            ImportMode::Invite => &[
                Field::Email,
                Field::FirstName,
                Field::LastName,
                Field::Role,
                Field::Node,
            ],
            ImportMode::Create => &[
                Field::Email,
                Field::FirstName,
                Field::LastName,
                Field::ExternalId,
                Field::Password,
                Field::Role,
                Field::Node,
                Field::Metadata,
            ],
            ImportMode::Account => &[
                Field::Email,
                Field::FirstName,
                Field::LastName,
                Field::ExternalId,
                Field::Password,
                Field::Application,
                Field::Metadata,
            ],
        }
    }

    /// Fields every file of this mode must map (a row may still leave an optional one empty).
    pub fn required(self) -> &'static [Field] {
        match self {
            // An invite to someone already in the account needs no names (decisions.md › Invites).
            ImportMode::Invite => &[Field::Email],
            ImportMode::Create | ImportMode::Account => {
                &[Field::Email, Field::FirstName, Field::LastName]
            }
        }
    }

    /// The template CSV offered for download in step 2: the headers and one example row.
    pub fn template(self) -> String {
        let headers: Vec<&str> = self.fields().iter().map(|f| f.header()).collect();
        let example: Vec<&str> = self.fields().iter().map(|f| f.example()).collect();
        format!("{}\r\n{}\r\n", headers.join(","), example.join(","))
    }
}

/// A field a column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Email,
    FirstName,
    LastName,
    ExternalId,
    Password,
    Role,
    Node,
    Application,
    Metadata,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::Email,
        Field::FirstName,
        Field::LastName,
        Field::ExternalId,
        Field::Password,
        Field::Role,
        Field::Node,
        Field::Application,
        Field::Metadata,
    ];

    /// The header the template uses (and the wire name of the request field it fills, but for
    /// role, node and application, whose references are resolved to `…_id`).
    pub fn header(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::ExternalId => "external_id",
            Field::Password => "password",
            Field::Role => "role",
            Field::Node => "node",
            Field::Application => "application",
            Field::Metadata => "metadata",
        }
    }

    pub fn parse(value: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.header() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Email => "Email",
            Field::FirstName => "First name",
            Field::LastName => "Last name",
            Field::ExternalId => "External ID",
            Field::Password => "Initial password",
            Field::Role => "Role",
            Field::Node => "Node",
            Field::Application => "Application",
            Field::Metadata => "Metadata (JSON)",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Field::Email => "pat.lee@example.com",
            Field::FirstName => "Pat",
            Field::LastName => "Lee",
            Field::ExternalId => "crm-10442",
            Field::Password => "",
            Field::Role => "",
            Field::Node => "",
            Field::Application => "",
            Field::Metadata => "",
        }
    }

    /// The request fields whose errors belong to this column.
    fn wire_fields(self) -> &'static [&'static str] {
        match self {
            Field::Email => &["email"],
            Field::FirstName => &["first_name"],
            Field::LastName => &["last_name"],
            Field::ExternalId => &["external_id"],
            Field::Password => &["password", "require_password_change"],
            Field::Role => &["role_id", "role"],
            Field::Node => &["node_id", "node"],
            Field::Application => &["application_id", "application"],
            Field::Metadata => &["metadata"],
        }
    }

    /// The field a request field's error belongs to.
    pub fn of_wire(wire: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.wire_fields().contains(&wire))
    }

    /// Header spellings that mean this field, normalised (`normalise_header`).
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::Email => &[
                "email",
                "emailaddress",
                "mail",
                "e-mail",
                "emailadresse",
                "correo",
                "username",
                "login",
            ],
            Field::FirstName => &[
                "firstname",
                "givenname",
                "first",
                "forename",
                "prenom",
                "vorname",
                "nombre",
            ],
            Field::LastName => &[
                "lastname",
                "surname",
                "familyname",
                "last",
                "nom",
                "nachname",
                "apellido",
            ],
            Field::ExternalId => &[
                "externalid",
                "external",
                "employeeid",
                "employeenumber",
                "crmid",
                "userid",
                "id",
                "reference",
            ],
            Field::Password => &["password", "initialpassword", "pass", "pwd", "passwort"],
            Field::Role => &["role", "rolename", "roleid", "roleslug"],
            Field::Node => &[
                "node",
                "nodeid",
                "nodepath",
                "nodename",
                "nodeslug",
                "location",
                "team",
                "department",
                "unit",
            ],
            Field::Application => &[
                "application",
                "app",
                "applicationid",
                "applicationname",
                "applicationslug",
                "appslug",
            ],
            Field::Metadata => &["metadata", "attributes", "json"],
        }
    }
}

/// Lower case, letters and digits only (and `-` between letters, for `e-mail`): `First Name`,
/// `first_name` and `FIRSTNAME` all become `firstname`.
fn normalise_header(header: &str) -> String {
    let lower = header.trim().to_lowercase();
    if lower == "e-mail" {
        return lower;
    }
    lower.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Why a file cannot be read as a CSV table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CsvError {
    Empty,
    TooBig { bytes: usize },
    NotText,
    TooManyRows,
    TooManyColumns { line: u64 },
    CellTooLong { line: u64 },
    Malformed { line: u64, detail: String },
    NoHeader,
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsvError::Empty => write!(f, "The file is empty."),
            CsvError::TooBig { bytes } => write!(
                f,
                "The file is {} KB; the limit is {} KB. Split it into smaller files.",
                bytes / 1024,
                MAX_FILE_BYTES / 1024
            ),
            CsvError::NotText => write!(
                f,
                "This is not a CSV file: it is not UTF-8 text. Save it as “CSV UTF-8” and try again."
            ),
            CsvError::TooManyRows => write!(
                f,
                "The file has more than {MAX_ROWS} rows. Split it into smaller files."
            ),
            CsvError::TooManyColumns { line } => write!(
                f,
                "Line {line} has more than {MAX_COLUMNS} columns. Is this the right file?"
            ),
            CsvError::CellTooLong { line } => write!(
                f,
                "Line {line} has a cell longer than {MAX_CELL_CHARS} characters. Is this the right file?"
            ),
            CsvError::Malformed { line, detail } => {
                write!(f, "Line {line} cannot be read as CSV: {detail}")
            }
            CsvError::NoHeader => write!(
                f,
                "The first line must name the columns (for example email, first_name, last_name)."
            ),
        }
    }
}

/// A file read into a header row and data rows (every row as long as the header: short rows are
/// padded with empty cells; cells beyond the header are kept for the error file).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// The separator found: `,`, `;` or tab.
    pub delimiter: char,
}

/// One data row: its cells and the line of the file it starts on (for messages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// The separator of a file: the one of `,`, `;` and tab that occurs most often outside quotes in
/// its first line (a comma when none does — a single-column file).
pub fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t'][best]
    }
}

/// Reads a file: UTF-8 with or without BOM, `,` `;` or tab, quoted fields (with doubled quotes and
/// line breaks inside), CRLF, LF or CR line ends, empty lines skipped; within the limits above.
pub fn parse(bytes: &[u8]) -> Result<Table, CsvError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(CsvError::TooBig { bytes: bytes.len() });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| CsvError::NotText)?;
    // NUL and other control characters (but tab, CR and LF) mean a binary file, e.g. a spreadsheet
    // saved as .xlsx and renamed.
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
    {
        return Err(CsvError::NotText);
    }
    if text.trim().is_empty() {
        return Err(CsvError::Empty);
    }
    let delimiter = detect_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = LineCounter {
        text: text.as_bytes(),
        offset: 0,
        line: 1,
    };
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(CsvError::Malformed {
                    line,
                    detail: e.to_string(),
                });
            }
        }
        let line = lines.line_at(record.position().map_or(0, |p| p.byte() as usize));
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.len() > MAX_COLUMNS {
            return Err(CsvError::TooManyColumns { line });
        }
        if record
            .iter()
            .any(|cell| cell.chars().count() > MAX_CELL_CHARS)
        {
            return Err(CsvError::CellTooLong { line });
        }
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        match &headers {
            None => {
                if cells.iter().all(|h| h.trim().is_empty()) {
                    return Err(CsvError::NoHeader);
                }
                headers = Some(cells.iter().map(|h| h.trim().to_owned()).collect());
            }
            Some(header) => {
                if rows.len() == MAX_ROWS {
                    return Err(CsvError::TooManyRows);
                }
                let mut cells = cells;
                if cells.len() < header.len() {
                    cells.resize(header.len(), String::new());
                }
                rows.push(Row { line, cells });
            }
        }
    }
    let headers = headers.ok_or(CsvError::Empty)?;
    Ok(Table {
        headers,
        rows,
        delimiter: char::from(delimiter),
    })
}

/// The line numbers of records, for messages: the reader's record positions point at or before
/// a record's start (before the previous line end), so the counter skips line ends to the record's
/// first character and counts the line ends (CRLF once) on the way, from where it last stopped.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, position: usize) -> u64 {
        let mut start = position.max(self.offset).min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        for i in self.offset..start {
            match self.text[i] {
                b'\r' => self.line += 1,
                b'\n' if i == 0 || self.text[i - 1] != b'\r' => self.line += 1,
                _ => {}
            }
        }
        self.offset = start;
        self.line
    }
}

/// Each column's field, matched by header (case-insensitive, with synonyms); a field goes to the
/// first column that names it, and a column that names no field of the mode stays unmapped.
pub fn auto_map(headers: &[String], mode: ImportMode) -> Vec<Option<Field>> {
    let mut taken: Vec<Field> = Vec::new();
    headers
        .iter()
        .map(|header| {
            let h = normalise_header(header);
            let found = mode
                .fields()
                .iter()
                .copied()
                .find(|f| !taken.contains(f) && f.synonyms().contains(&h.as_str()));
            if let Some(f) = found {
                taken.push(f);
            }
            found
        })
        .collect()
}

/// The mapping's own problems: a required field no column fills, a field two columns fill, a
/// field the mode does not take.
pub fn check_mapping(mapping: &[Option<Field>], mode: ImportMode) -> Vec<String> {
    let mut problems = Vec::new();
    for field in mode.required() {
        if !mapping.contains(&Some(*field)) {
            problems.push(format!("Choose the column that holds {}.", field.label()));
        }
    }
    for field in mode.fields() {
        if mapping.iter().filter(|m| **m == Some(*field)).count() > 1 {
            problems.push(format!("Only one column can hold {}.", field.label()));
        }
    }
    for field in mapping.iter().flatten() {
        if !mode.fields().contains(field) {
            problems.push(format!("{} is not imported in this mode.", field.label()));
        }
    }
    problems
}

/// A role, node or application the file may name, with every name it can go by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    /// Name, slug, path, …: matched case-insensitively.
    pub names: Vec<String>,
}

/// The ids a row's references resolve against.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Targets {
    pub roles: Vec<Target>,
    pub nodes: Vec<Target>,
    pub applications: Vec<Target>,
}

/// The id `reference` names among `targets`: by id first, then by any name (case-insensitively);
/// an unknown reference or one that names two targets is an error for its column.
fn resolve(
    reference: &str,
    targets: &[Target],
    field: Field,
    wire: &str,
) -> Result<Option<String>, FieldError> {
    let reference = reference.trim();
    if reference.is_empty() {
        return Ok(None);
    }
    if let Some(t) = targets.iter().find(|t| t.id == reference) {
        return Ok(Some(t.id.clone()));
    }
    let wanted = reference.to_lowercase();
    let wanted = wanted.trim_matches('/');
    let matches: Vec<&Target> = targets
        .iter()
        .filter(|t| {
            t.names
                .iter()
                .any(|n| n.to_lowercase().trim_matches('/') == wanted)
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(Some(one.id.clone())),
        [] => Err(FieldError::new(
            wire,
            "not_found",
            format!(
                "No {} is called “{reference}”.",
                field.label().to_lowercase()
            ),
        )),
        _ => Err(FieldError::new(
            wire,
            "ambiguous",
            format!(
                "More than one {} is called “{reference}”: use its id or path.",
                field.label().to_lowercase()
            ),
        )),
    }
}

/// One row as the request the bulk service of its mode takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowRequest {
    Invite(InviteForm),
    Create(IdentityForm),
    Account(DirectoryIdentityForm),
}

impl RowRequest {
    /// The request's own validation: the same `validate` the dialogs and the API run.
    pub fn validate(&self) -> Vec<FieldError> {
        match self {
            RowRequest::Invite(form) => form.validate().err().unwrap_or_default(),
            RowRequest::Create(form) => form.validate().err().unwrap_or_default(),
            RowRequest::Account(form) => form.validate().err().unwrap_or_default(),
        }
    }

    pub fn email(&self) -> &str {
        match self {
            RowRequest::Invite(form) => &form.email,
            RowRequest::Create(form) => &form.email,
            RowRequest::Account(form) => &form.email,
        }
    }

    /// The same request without its password (what the wizard keeps once a row is done).
    pub fn forget_password(&mut self) {
        match self {
            RowRequest::Invite(_) => {}
            RowRequest::Create(form) => form.password = None,
            RowRequest::Account(form) => form.password = None,
        }
    }
}

/// The cell of `field` in `cells`, trimmed; empty when no column holds it.
fn cell<'a>(cells: &'a [String], mapping: &[Option<Field>], field: Field) -> &'a str {
    mapping
        .iter()
        .position(|m| *m == Some(field))
        .and_then(|i| cells.get(i))
        .map_or("", |c| c.trim())
}

fn optional(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// A row as its mode's request: references resolved (their problems returned as field errors of
/// the request's `role_id`, `node_id` or `application_id`), then the request's own validation.
/// The request is `None` only when a reference could not be resolved.
pub fn to_request(
    mode: ImportMode,
    mapping: &[Option<Field>],
    cells: &[String],
    targets: &Targets,
) -> (Option<RowRequest>, Vec<FieldError>) {
    let get = |field| cell(cells, mapping, field);
    let mut errors = Vec::new();
    let metadata = match get(Field::Metadata) {
        "" => None,
        text => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => Some(value),
            Err(_) => {
                errors.push(FieldError::new(
                    "metadata",
                    "invalid",
                    "Metadata must be a JSON object, e.g. {\"department\": \"Sales\"}.",
                ));
                None
            }
        },
    };
    let mut resolved =
        |field: Field, list: &[Target], wire: &str| match resolve(get(field), list, field, wire) {
            Ok(id) => id,
            Err(e) => {
                errors.push(e);
                None
            }
        };
    let request = match mode {
        ImportMode::Invite => {
            let role_id = resolved(Field::Role, &targets.roles, "role_id");
            let node_id = resolved(Field::Node, &targets.nodes, "node_id");
            RowRequest::Invite(InviteForm {
                email: get(Field::Email).to_owned(),
                first_name: get(Field::FirstName).to_owned(),
                last_name: get(Field::LastName).to_owned(),
                role_id,
                node_id,
                ..InviteForm::default()
            })
        }
        ImportMode::Create => {
            let role_id = resolved(Field::Role, &targets.roles, "role_id");
            let node_id = resolved(Field::Node, &targets.nodes, "node_id");
            RowRequest::Create(IdentityForm {
                email: get(Field::Email).to_owned(),
                first_name: get(Field::FirstName).to_owned(),
                last_name: get(Field::LastName).to_owned(),
                external_id: optional(get(Field::ExternalId)),
                // Not trimmed: spaces may be part of a password.
                password: mapping
                    .iter()
                    .position(|m| *m == Some(Field::Password))
                    .and_then(|i| cells.get(i))
                    .filter(|p| !p.is_empty())
                    .cloned(),
                role_id,
                node_id,
                metadata,
                ..IdentityForm::default()
            })
        }
        ImportMode::Account => {
            let application_id =
                resolved(Field::Application, &targets.applications, "application_id");
            RowRequest::Account(DirectoryIdentityForm {
                email: get(Field::Email).to_owned(),
                first_name: get(Field::FirstName).to_owned(),
                last_name: get(Field::LastName).to_owned(),
                external_id: optional(get(Field::ExternalId)),
                password: mapping
                    .iter()
                    .position(|m| *m == Some(Field::Password))
                    .and_then(|i| cells.get(i))
                    .filter(|p| !p.is_empty())
                    .cloned(),
                application_id,
                metadata,
                ..DirectoryIdentityForm::default()
            })
        }
    };
    if !errors.is_empty() {
        // The rest of the row is still checked, so every problem shows at once.
        errors.extend(request.validate());
        return (None, errors);
    }
    let errors = request.validate();
    (Some(request), errors)
}

/// Emails that occur on more than one row (compared case-insensitively, as the directory does):
/// for each row index, the index of the first row with its email, if it is a later one.
pub fn duplicate_emails(emails: &[&str]) -> Vec<Option<usize>> {
    let mut first: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    emails
        .iter()
        .enumerate()
        .map(|(i, email)| {
            let key = email.trim().to_lowercase();
            if key.is_empty() {
                return None;
            }
            match first.get(&key) {
                Some(&earlier) => Some(earlier),
                None => {
                    first.insert(key, i);
                    None
                }
            }
        })
        .collect()
}

/// A cell as it is safe to open in a spreadsheet: one that starts like a formula (`=`, `+`, `-`,
/// `@`, tab, carriage return — OWASP's list) gets a leading `'`, so it stays text.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// The Download failed rows file: the original header and cells plus an `error` column, every
/// cell formula-safe, comma-separated with CRLF line ends and a UTF-8 BOM (so spreadsheet apps
/// read it as UTF-8).
pub fn failed_rows_csv(headers: &[String], rows: &[(Vec<String>, String)]) -> String {
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header: Vec<String> = headers
        .iter()
        .map(|h| neutralise(h))
        .chain(std::iter::once("error".to_owned()))
        .collect();
    // Writing into a Vec cannot fail; a failure would only drop that line.
    let _ = out.write_record(&header);
    for (cells, error) in rows {
        let line: Vec<String> = cells
            .iter()
            .map(|c| neutralise(c))
            .chain(std::iter::once(neutralise(error)))
            .collect();
        let _ = out.write_record(&line);
    }
    let bytes = out.into_inner().unwrap_or_default();
    format!("\u{FEFF}{}", String::from_utf8_lossy(&bytes))
}

/// The counts of a finished (or cancelled) import, as its audit summary records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportSummary {
    pub total: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub skipped: u32,
    pub cancelled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn reads_bom_crlf_quotes_and_skips_empty_lines() {
        let file = "\u{FEFF}Email,First Name,Last Name\r\n\r\n\"pat@example.com\",\"Pat, Jr.\",\"O\"\"Neil\"\r\nsam@example.com,Sam,\"Line\r\nbreak\"\n\n,,\n";
        let table = parse(file.as_bytes()).unwrap_or_default();
        assert_eq!(table.headers, s(&["Email", "First Name", "Last Name"]));
        assert_eq!(table.rows.len(), 2);
        assert_eq!(
            table.rows[0].cells,
            s(&["pat@example.com", "Pat, Jr.", "O\"Neil"])
        );
        assert_eq!(table.rows[1].cells[2], "Line\r\nbreak");
        assert_eq!(table.rows[0].line, 3, "{:?}", table.rows);
    }

    #[test]
    fn detects_semicolons_tabs_and_mixed_line_ends() {
        let semi =
            parse(b"email;first_name;last_name\rpat@example.com;Pat;Lee\r\nkim@x.io;Kim;\"a;b\"\n")
                .unwrap_or_default();
        assert_eq!(semi.delimiter, ';');
        assert_eq!(semi.rows.len(), 2);
        assert_eq!(semi.rows[1].cells[2], "a;b");
        let tab = parse(b"email\tfirst_name\nkim@example.com\tKim, K\n").unwrap_or_default();
        assert_eq!(tab.delimiter, '\t');
        assert_eq!(tab.rows[0].cells, s(&["kim@example.com", "Kim, K"]));
        let single = parse(b"email\npat@example.com\n").unwrap_or_default();
        assert_eq!(single.delimiter, ',');
        assert_eq!(single.rows.len(), 1);
    }

    #[test]
    fn keeps_unicode_and_pads_short_rows() {
        let table =
            parse("email,first_name,last_name\nzoë@example.com,Zoë,Ünal\nx@y.z\n".as_bytes())
                .unwrap_or_default();
        assert_eq!(table.rows[0].cells[1], "Zoë");
        assert_eq!(table.rows[1].cells, s(&["x@y.z", "", ""]));
    }

    #[test]
    fn refuses_files_that_are_not_csv_or_too_big() {
        assert_eq!(parse(b""), Err(CsvError::Empty));
        assert_eq!(parse(b"\xEF\xBB\xBF \r\n\n"), Err(CsvError::Empty));
        assert_eq!(parse(b"PK\x03\x04\x00\x00binary"), Err(CsvError::NotText));
        assert_eq!(parse(b"email\n\xff\xfe"), Err(CsvError::NotText));
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        assert!(matches!(parse(&big), Err(CsvError::TooBig { .. })));
        let mut many = String::from("email\n");
        for i in 0..=MAX_ROWS {
            many.push_str(&format!("p{i}@example.com\n"));
        }
        assert_eq!(parse(many.as_bytes()), Err(CsvError::TooManyRows));
        let wide = vec!["c"; MAX_COLUMNS + 1].join(",");
        assert!(matches!(
            parse(wide.as_bytes()),
            Err(CsvError::TooManyColumns { line: 1 })
        ));
        let long = format!("email\n{}\n", "a".repeat(MAX_CELL_CHARS + 1));
        assert!(matches!(
            parse(long.as_bytes()),
            Err(CsvError::CellTooLong { line: 2 })
        ));
        // An unterminated quote runs to the end of the file: one long cell, not a crash.
        assert!(parse(b"email\n\"pat@example.com\n").is_ok());
    }

    #[test]
    fn maps_headers_with_synonyms_and_leaves_others_unmapped() {
        let headers = s(&[
            "E-Mail",
            "Given Name",
            "SURNAME",
            "Department",
            "Notes",
            "email",
        ]);
        let mapping = auto_map(&headers, ImportMode::Create);
        assert_eq!(
            mapping,
            vec![
                Some(Field::Email),
                Some(Field::FirstName),
                Some(Field::LastName),
                Some(Field::Node),
                None,
                None,
            ]
        );
        assert!(check_mapping(&mapping, ImportMode::Create).is_empty());
        let missing = auto_map(&s(&["email"]), ImportMode::Account);
        assert_eq!(check_mapping(&missing, ImportMode::Account).len(), 2);
        assert!(check_mapping(&missing, ImportMode::Invite).is_empty());
        let twice = vec![Some(Field::Email), Some(Field::Email)];
        assert_eq!(check_mapping(&twice, ImportMode::Invite).len(), 1);
        // Application is not a field of the environment's modes.
        assert_eq!(
            auto_map(&s(&["email", "application"]), ImportMode::Create),
            vec![Some(Field::Email), None]
        );
    }

    fn targets() -> Targets {
        Targets {
            roles: vec![
                Target {
                    id: "r1".into(),
                    names: vec!["Viewer".into()],
                },
                Target {
                    id: "r2".into(),
                    names: vec!["Editor".into()],
                },
            ],
            nodes: vec![
                Target {
                    id: "n1".into(),
                    names: vec!["Paris".into(), "paris".into(), "acme/emea/paris".into()],
                },
                Target {
                    id: "n2".into(),
                    names: vec!["Paris".into(), "paris-tx".into(), "acme/us/paris-tx".into()],
                },
            ],
            applications: vec![],
        }
    }

    #[test]
    fn rows_become_the_bulk_requests_and_their_validation() {
        let mapping = vec![
            Some(Field::Email),
            Some(Field::FirstName),
            Some(Field::LastName),
            Some(Field::Role),
            Some(Field::Node),
        ];
        let (request, errors) = to_request(
            ImportMode::Create,
            &mapping,
            &s(&[
                " pat@example.com ",
                "Pat",
                "Lee",
                "viewer",
                "/acme/emea/paris/",
            ]),
            &targets(),
        );
        assert!(errors.is_empty(), "{errors:?}");
        let Some(RowRequest::Create(form)) = request else {
            panic!("{request:?}")
        };
        assert_eq!(form.email, "pat@example.com");
        assert_eq!(
            (form.role_id.as_deref(), form.node_id.as_deref()),
            (Some("r1"), Some("n1"))
        );

        let (request, errors) = to_request(
            ImportMode::Create,
            &mapping,
            &s(&["nope", "", "Lee", "Boss", "Paris"]),
            &targets(),
        );
        assert!(request.is_none());
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"role_id") && fields.contains(&"node_id"));
        assert!(fields.contains(&"email") && fields.contains(&"first_name"));
        assert_eq!(Field::of_wire("node_id"), Some(Field::Node));

        let (request, errors) = to_request(
            ImportMode::Invite,
            &mapping[..1],
            &s(&["=cmd|' /C calc'!A0"]),
            &targets(),
        );
        assert!(request.is_some());
        assert_eq!(errors[0].field, "email");
    }

    #[test]
    fn finds_duplicates_inside_the_file() {
        assert_eq!(
            duplicate_emails(&["a@x.io", "B@x.io", "A@X.IO ", "", "", "b@x.io"]),
            vec![None, None, Some(0), None, None, Some(1)]
        );
    }

    #[test]
    fn the_error_file_is_formula_safe() {
        let out = failed_rows_csv(
            &s(&["email", "note"]),
            &[
                (
                    s(&["=cmd|' /C calc'!A0", "+1"]),
                    "Enter a valid email.".into(),
                ),
                (s(&["@SUM(1)", "-2, \"x\""]), "\tbad".into()),
            ],
        );
        assert!(out.starts_with('\u{FEFF}'));
        let table = parse(out.as_bytes()).unwrap_or_default();
        assert_eq!(table.headers, s(&["email", "note", "error"]));
        assert_eq!(
            table.rows[0].cells,
            s(&["'=cmd|' /C calc'!A0", "'+1", "Enter a valid email."])
        );
        assert_eq!(
            table.rows[1].cells,
            s(&["'@SUM(1)", "'-2, \"x\"", "'\tbad"])
        );
    }

    #[test]
    fn templates_parse_and_map_to_themselves() {
        for mode in [ImportMode::Invite, ImportMode::Create, ImportMode::Account] {
            let table = parse(mode.template().as_bytes()).unwrap_or_default();
            let mapping = auto_map(&table.headers, mode);
            assert!(mapping.iter().all(Option::is_some), "{mode:?}");
            assert!(check_mapping(&mapping, mode).is_empty());
        }
    }

    // The fuzz target's invariants as a property test (stable toolchain, runs with the unit
    // tests): arbitrary text made of CSV's own characters never panics, keeps the limits, and
    // every row becomes a request or field errors; the failed-rows file reads back formula-safe.
    proptest::proptest! {
        #[test]
        fn arbitrary_input_parses_validates_and_writes_safely(
            text in "[a-z@.=+\\-,;\t\r\n\" \u{FEFF}é]{0,400}"
        ) {
            if let Ok(table) = parse(text.as_bytes()) {
                for mode in [ImportMode::Invite, ImportMode::Create, ImportMode::Account] {
                    let mapping = auto_map(&table.headers, mode);
                    proptest::prop_assert_eq!(mapping.len(), table.headers.len());
                    for row in &table.rows {
                        proptest::prop_assert!(row.cells.len() >= table.headers.len());
                        let _ = to_request(mode, &mapping, &row.cells, &targets());
                    }
                }
                let rows: Vec<(Vec<String>, String)> =
                    table.rows.iter().map(|r| (r.cells.clone(), "x".to_owned())).collect();
                let out = failed_rows_csv(&table.headers, &rows);
                if let Ok(back) = parse(out.as_bytes())
                    && back.delimiter == ','
                {
                    for cell in back.rows.iter().flat_map(|r| &r.cells) {
                        proptest::prop_assert!(!cell.starts_with(['=', '+', '-', '@']), "{:?}", cell);
                    }
                }
            }
        }
    }
}
