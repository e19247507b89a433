//! Lists every file of `data/ispdb/*.xml` for `src/providers.rs`, so that the whole ISPDB
//! snapshot is embedded without a hand-kept list. The list is sorted by file name.

use std::fmt::Write as _;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")?;
    let dir = Path::new(&manifest_dir).join("data").join("ispdb");
    println!("cargo::rerun-if-changed={}", dir.display());

    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let name = entry
            .file_name()
            .into_string()
            .map_err(|n| format!("{n:?}"))?;
        if name.ends_with(".xml") {
            names.push(name);
        }
    }
    names.sort();

    let mut out = String::from("/// Every embedded ISPDB file: (file name, contents).\n");
    out.push_str("pub(crate) const ISPDB_FILES: &[(&str, &str)] = &[\n");
    for name in &names {
        let path = dir.join(name);
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )?;
    }
    out.push_str("];\n");

    let out_dir = std::env::var("OUT_DIR")?;
    std::fs::write(Path::new(&out_dir).join("ispdb_files.rs"), out)?;
    Ok(())
}
