//! Every config mistake exits 2 with a message that names the file, the line and the key.
//! One fixture per mistake in tests/invalid_configs/, its first line `# expect: LINE KEY`
//! (KEY `-` where the mistake is not a key, as in a syntax error).

use crate::common;

use common::Sandbox;
use std::os::unix::fs::PermissionsExt;

#[test]
fn each_invalid_config_names_file_line_and_key() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    fixtures.sort();
    assert!(fixtures.len() >= 10);
    let sb = Sandbox::new();
    for path in fixtures {
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text.lines().next().and_then(|l| l.strip_prefix("# expect: ")).expect("expect header");
        let (line, key) = expect.split_once(' ').unwrap();
        let out = sb.klaxon().args(["check-config", "--config"]).arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        let mut want = format!("klaxon: {}:{line}", path.display());
        if key != "-" {
            want.push_str(&format!(": key `{key}`"));
        }
        assert!(stderr.starts_with(&want), "{}:\n  want {want}\n  got  {stderr}", path.display());
        assert!(!stderr.contains("hunter2"), "never echoes a secret: {stderr}");
    }
}

#[test]
fn a_secret_file_others_can_read_is_refused() {
    let sb = Sandbox::new();
    let secret = sb.write("pg.pass", "s3cret\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = sb.write(
        "klaxon.toml",
        &format!(
            "[[sources]]\nname = \"local\"\nkind = \"checks\"\n\n[[sources.commands]]\nname = \"pg\"\nargv = [\"/bin/true\"]\nsecrets = {{ PGPASSWORD = {{ file = \"{}\" }} }}\n",
            secret.display()
        ),
    );
    let out = sb.klaxon().args(["check-config", "--config"]).arg(&config).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(":8: key `sources[0].commands[0].secrets`"), "{stderr}");
    assert!(stderr.contains("mode 0644") && stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains("s3cret"));
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    sb.klaxon().args(["check-config", "--config"]).arg(&config).assert().success();
}

#[test]
fn a_named_config_that_is_missing_is_an_error_not_the_default() {
    let sb = Sandbox::new();
    let out = sb.klaxon().args(["list", "--config", "/nonexistent/klaxon.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/klaxon.toml: cannot read config"));
    let out = sb.klaxon().env("KLAXON_CONFIG", "/nonexistent/k.toml").arg("list").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_user_keymap_with_a_duplicate_or_unknown_binding_is_reported_with_file_and_line() {
    let sb = Sandbox::new();
    let config = sb.write("klaxon.toml", "[ui]\nkeymap = \"mine\"\n");
    let keymap = sb.write(
        "config/klaxon/keymaps/mine.toml",
        "[[keys]]\non = \"x\"\nrun = \"ack\"\n\n[[keys]]\non = [\"x\"]\nrun = \"note\"\n",
    );
    let out = sb.klaxon().args(["check-config", "--config"]).arg(&config).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{}:6", keymap.display())), "{stderr}");
    assert!(stderr.contains("key `x` is bound twice: line 2 (ack) and line 6 (note)"), "{stderr}");

    sb.write("config/klaxon/keymaps/mine.toml", "[[keys]]\non = \"x\"\nrun = \"acknowledge\"\n");
    let out = sb.klaxon().args(["check-config", "--config"]).arg(&config).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{}:3: key `keys[0].run`", keymap.display())), "{stderr}");
    assert!(stderr.contains("unknown action \"acknowledge\""), "{stderr}");
}
