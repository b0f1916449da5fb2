//! The one place tests learn where the real captures and the peers' golden outputs live:
//! `testdata/` at the top of the repository (copied from the shared corpus, with their origin in
//! `testdata/captures/INDEX.md`), so the tests pass on a clone that has nothing beside it.

use std::path::{Path, PathBuf};

/// The repository's `testdata/` folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Path of one capture by file name.
pub fn capture(name: &str) -> PathBuf {
    let p = root().join("captures").join(name);
    assert!(
        p.exists(),
        "test capture {name} is missing from testdata/captures"
    );
    p
}

/// Path of a capture that every reader refuses (`testdata/refused/INDEX.md`).
pub fn refused(name: &str) -> PathBuf {
    let p = root().join("refused").join(name);
    assert!(p.exists(), "refused capture {name} is missing");
    p
}

/// Every capture file, sorted by name.
pub fn captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("captures"))
        .expect("testdata/captures")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into());
            name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".pcap.gz")
        })
        .collect();
    v.sort();
    v
}

/// A golden file made by a peer tool for one capture (see `testdata/golden/regen.sh`).
pub fn golden(capture: &Path, file: &str) -> String {
    let name = capture.file_name().expect("file name");
    let p = root().join("golden").join(name).join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A golden file that exists for some captures only.
pub fn golden_if_any(capture: &Path, file: &str) -> Option<String> {
    let name = capture.file_name().expect("file name");
    std::fs::read_to_string(root().join("golden").join(name).join(file)).ok()
}

/// A capture recorded for this project by a script under `testdata/recorded/`.
pub fn recorded(name: &str) -> PathBuf {
    let p = root().join("recorded").join(name);
    assert!(p.exists(), "recorded capture {name} is missing");
    p
}
