//! The CSV import's parser and row validator on arbitrary bytes: nothing may panic, every table
//! keeps the limits, every row becomes a request or field errors in every mode, and the error
//! file written from the rows parses back to the same cells, formula-safe.

#![no_main]

use app::model::csv_import::{
    self, Field, ImportMode, MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, Target, Targets,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = csv_import::parse(data) else {
        return;
    };
    assert!(table.rows.len() <= MAX_ROWS);
    assert!(table.headers.len() <= MAX_COLUMNS);
    let targets = Targets {
        roles: vec![Target { id: "r1".into(), names: vec!["Viewer".into()] }],
        nodes: vec![Target { id: "n1".into(), names: vec!["root".into(), "acme/root".into()] }],
        applications: vec![Target { id: "a1".into(), names: vec!["Portal".into()] }],
    };
    for mode in [ImportMode::Invite, ImportMode::Create, ImportMode::Account] {
        let mapping = csv_import::auto_map(&table.headers, mode);
        assert_eq!(mapping.len(), table.headers.len());
        let _ = csv_import::check_mapping(&mapping, mode);
        for row in table.rows.iter().take(200) {
            assert!(row.cells.len() >= table.headers.len());
            assert!(row.cells.iter().all(|c| c.chars().count() <= MAX_CELL_CHARS));
            let (request, errors) = csv_import::to_request(mode, &mapping, &row.cells, &targets);
            // Every error names a field the wizard can show it next to (or the whole row).
            for e in &errors {
                let _ = Field::of_wire(&e.field);
            }
            if let Some(request) = request {
                let _ = request.email();
            }
        }
    }
    let rows: Vec<(Vec<String>, String)> = table
        .rows
        .iter()
        .take(50)
        .map(|r| (r.cells.clone(), "error".to_owned()))
        .collect();
    let out = csv_import::failed_rows_csv(&table.headers, &rows);
    // Read back with the separator it was written with (a header full of `;` could fool the
    // detection, which is not what this checks).
    if let Ok(back) = csv_import::parse(out.as_bytes())
        && back.delimiter == ','
    {
        for cell in back.rows.iter().flat_map(|r| &r.cells) {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell:?}");
        }
    }
});
