//! Puts the commit klaxon was built from into `klaxon --version`. A build from a tarball
//! or a crate has no git: then it says so ("commit unknown") rather than guessing.

use std::process::Command;

fn main() {
    // A packager building from a tarball may say which commit it is.
    let given = std::env::var("KLAXON_COMMIT").ok().filter(|c| !c.trim().is_empty());
    let commit = given.or_else(|| {
        git(&["rev-parse", "--short=12", "HEAD"]).map(|c| {
            // Uncommitted changes to tracked files make the build not that commit.
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
            if dirty { format!("{c}-modified") } else { c }
        })
    });
    let commit = commit.unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=KLAXON_COMMIT={commit}");
    // Rerun when a source changes (it may make the tree modified), HEAD moves (a commit, a
    // checkout) or the index changes (a staged edit).
    for path in ["src", "Cargo.toml", "build.rs"] {
        println!("cargo:rerun-if-changed={path}");
    }
    for path in ["HEAD", "index"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Some(head) = git(&["symbolic-ref", "-q", "HEAD"]).and_then(|r| git(&["rev-parse", "--git-path", &r])) {
        println!("cargo:rerun-if-changed={head}");
    }
    println!("cargo:rerun-if-env-changed=KLAXON_COMMIT");
}

/// The trimmed output of a git command run in the crate, or None when there is no git or
/// no repository (a packaged source).
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
