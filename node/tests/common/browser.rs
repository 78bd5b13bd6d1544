//! Headless Chromium for the page tests (`/situation`): finding the browser, running it
//! in its own process group with a hard timeout, and reading its DOM dump.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The browser to use: `SHOAL_CHROMIUM`, else Debian's `chromium` or a usual name.
pub fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SHOAL_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Run headless Chromium with `args` in its own process group, killing the group after
/// `timeout` (and in any case once it returns). Returns (stdout, stderr).
pub fn run_chromium(
    bin: &Path,
    profile: &Path,
    args: &[String],
    timeout: Duration,
) -> (String, String) {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let pgid = child.id();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let deadline = Instant::now() + timeout;
    let timed_out = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if Instant::now() > deadline {
            break true;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // The browser's helper processes share its process group.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
    let (o, e) = (t_out.join().unwrap(), t_err.join().unwrap());
    assert!(
        !timed_out,
        "chromium did not finish within {timeout:?}: {e}"
    );
    (o, e)
}

/// The text between `open` (exclusive) and the next `close`.
pub fn between<'a>(hay: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = hay.find(open)? + open.len();
    let end = hay[start..].find(close)? + start;
    Some(&hay[start..end])
}

/// Load `url` in headless Chromium (fresh profile, 10 s of virtual time for the page's
/// scripts) and return its DOM after the scripts ran, and the browser's log.
pub async fn dump_dom(bin: &Path, url: &str) -> (String, String) {
    let profile = tempfile::tempdir().expect("browser profile");
    let (bin, url, p) = (bin.to_owned(), url.to_owned(), profile.path().to_owned());
    tokio::task::spawn_blocking(move || {
        run_chromium(
            &bin,
            &p,
            &[
                "--virtual-time-budget=10000".into(),
                "--dump-dom".into(),
                url,
            ],
            Duration::from_secs(90),
        )
    })
    .await
    .expect("browser task")
}
