//! The HTML report of a real capture: one file that fetches nothing, its three kinds of chart
//! present with finite coordinates, names from the traffic escaped, and Debian's Chromium opening
//! it headless without a single console message.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use iotscope_analyze::devices::Local;
use iotscope_flow::pipeline::{run, Options};
use iotscope_report::model::{Connection, Report};
use iotscope_testdata::capture;

const HUE: &str = "IoTSentinel__HueBridge__Setup-A-2-STA.pcap";
const CHROMIUM: &str = "/usr/bin/chromium";

fn report_of(name: &str) -> Report {
    let r = run(&[capture(name)], &Options::for_analysis());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(
        !r.flows.events.is_empty() || r.counters.frames == 0,
        "events must be kept"
    );
    iotscope_report::from_run(&r, &Local::new(&[]).unwrap(), None, Default::default())
}

/// Every `<svg>…</svg>` element of a page.
fn svgs(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(a) = rest.find("<svg") {
        let len = rest[a..].find("</svg>").expect("closed svg") + "</svg>".len();
        out.push(&rest[a..a + len]);
        rest = &rest[a + len..];
    }
    out
}

/// Every tag of a page (what lies between `<` and `>`; text is escaped, so `<` opens a tag).
fn tags(html: &str) -> impl Iterator<Item = &str> {
    html.split('<')
        .skip(1)
        .map(|t| t.split_once('>').map_or(t, |x| x.0))
}

/// The value of every `name="…"` attribute in a tag.
fn attrs(tag: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].rsplit([' ', '\n']).next().unwrap_or("");
        let value_end = rest[eq + 2..].find('"').expect("closed attribute");
        out.push((name, &rest[eq + 2..eq + 2 + value_end]));
        rest = &rest[eq + 2 + value_end + 1..];
    }
    out
}

/// Chart geometry must be plain numbers: no NaN, no infinity, whatever the data.
fn assert_finite_charts(html: &str) {
    const GEOMETRY: [&str; 12] = [
        "x", "y", "x1", "y1", "x2", "y2", "width", "height", "d", "viewBox", "cx", "cy",
    ];
    for s in svgs(html) {
        let lower = s.to_ascii_lowercase();
        assert!(!s.contains("NaN") && !lower.contains("infinity"), "{s}");
        for tag in tags(s) {
            for (name, value) in attrs(tag) {
                if GEOMETRY.contains(&name) {
                    assert!(
                        !value.is_empty()
                            && value
                                .chars()
                                .all(|c| c.is_ascii_digit() || " ,.-MCLZ".contains(c)),
                        "{name}=\"{value}\" in <{tag}>"
                    );
                }
            }
        }
    }
}

#[test]
fn html_report_is_one_file_that_fetches_nothing() {
    let html = iotscope_report::html::render(&report_of(HUE));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(",
    ] {
        assert!(!lower.contains(banned), "{banned} in the report");
    }
    for tag in tags(&html) {
        let t = tag.to_ascii_lowercase();
        assert!(
            !t.contains("http://") && !t.contains("https://"),
            "network reference in <{tag}>"
        );
        for (name, value) in attrs(tag) {
            if name == "src" || name == "href" || name == "xlink:href" {
                assert!(value.starts_with('#'), "{name}=\"{value}\" leaves the page");
            }
        }
    }
    // The capture's own URLs may appear as text (the UPnP description of the bridge).
    assert!(html.contains("description.xml"));
    assert!(
        html.len() < 1_000_000,
        "{} bytes for a small capture",
        html.len()
    );
}

#[test]
fn html_report_draws_the_three_charts_with_finite_geometry() {
    let r = report_of(HUE);
    let html = iotscope_report::html::render(&r);
    let charts = svgs(&html);
    assert!(charts
        .iter()
        .any(|s| s.starts_with(r#"<svg class="chart sankey" id="sankey""#)));
    let dev = r
        .devices
        .iter()
        .position(|d| !d.timeline.is_empty())
        .expect("a device with connections");
    assert!(charts.iter().any(|s| s.starts_with(&format!(
        r#"<svg class="chart timeline" id="timeline-{dev}""#
    )) && s.contains("<rect class=\"conn")));
    assert!(charts
        .iter()
        .any(|s| s.starts_with(&format!(r#"<svg class="chart bytes" id="bytes-{dev}""#))));
    assert_finite_charts(&html);
    // The report's content, not only its charts: the verdict, the catalogue's advice, a finding.
    assert!(html.contains(&r.devices[dev].verdict.text.replace('\'', "&#39;")));
    assert!(html.contains("Why it matters") && html.contains("What to do"));
    assert!(html.contains("cleartext-http"));
    assert!(html.contains("bridge.meethue.com"));
}

#[test]
fn html_report_escapes_names_from_the_traffic() {
    let mut r = report_of(HUE);
    let hostile = "<script>alert(1)</script>";
    r.devices[0].label = hostile.into();
    r.devices[0].endpoints[0].name = "\"><img src=x onerror=alert(2)>".into();
    r.devices[0].findings[0].subject = "it's <b>bold</b> & \"quoted\"".into();
    if let Some(c) = r.devices[0].timeline.first_mut() {
        c.destination = "\"><img src=x onerror=alert(2)>".into();
    }
    r.network.worst_device = Some(hostile.into());
    let html = iotscope_report::html::render(&r);
    assert!(!html.contains(hostile));
    assert!(!html.to_ascii_lowercase().contains("<script"));
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>bold"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("it&#39;s &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"));
}

#[test]
fn html_charts_cope_with_empty_single_zero_and_huge() {
    // No device at all.
    let empty = report_of("tcpdump__empty.pcapng");
    assert!(empty.devices.is_empty());
    let html = iotscope_report::html::render(&empty);
    assert!(html.ends_with("</html>\n"));
    assert!(svgs(&html).is_empty());
    assert_finite_charts(&html);

    // One connection of no duration in a capture of no duration, huge volumes, and values no
    // model should hold but a hand-edited JSON could.
    let mut r = report_of(HUE);
    r.network.duration_s = 0.0;
    let d = &mut r.devices[0];
    d.timeline = vec![Connection {
        start_s: 0.0,
        duration_s: 0.0,
        destination: d.endpoints[0].name.clone(),
        bytes: u64::MAX,
        encrypted: false,
    }];
    for e in &mut d.endpoints {
        e.bytes_up = u64::MAX;
        e.bytes_down = u64::MAX / 3;
    }
    let html = iotscope_report::html::render(&r);
    assert_eq!(svgs(&html).len(), 1 + 2 * with_charts(&r));
    assert_finite_charts(&html);

    r.network.duration_s = f64::NAN;
    r.network.encrypted_share = Some(f64::INFINITY);
    r.devices[0].timeline[0].start_s = f64::INFINITY;
    r.devices[0].timeline[0].duration_s = f64::NAN;
    for e in &mut r.devices[0].endpoints {
        e.bytes_up = 0;
        e.bytes_down = 0;
    }
    let html = iotscope_report::html::render(&r);
    assert_finite_charts(&html);
    assert!(!html.contains("NaN") && !html.contains("inf %"));

    // Devices without any destination: no bytes chart, no Sankey band from them.
    for d in &mut r.devices {
        d.endpoints.clear();
        d.timeline.clear();
    }
    let html = iotscope_report::html::render(&r);
    assert!(svgs(&html).is_empty());
    assert!(html.contains("No traffic to the internet was seen."));
}

/// The timeline chart of device `i` in a page.
fn timeline_of(html: &str, i: usize) -> &str {
    let id = format!(r#"id="timeline-{i}""#);
    svgs(html)
        .into_iter()
        .find(|s| s.contains(&id))
        .expect("a timeline")
}

#[test]
fn timeline_shows_a_timer_as_separate_ticks_and_bounds_a_busy_device() {
    let mut r = report_of(HUE);
    r.network.duration_s = 400.0;
    let name = r.devices[0].endpoints[0].name.clone();
    let beat = |t: f64| Connection {
        start_s: t,
        duration_s: 0.2,
        destination: name.clone(),
        bytes: 1900,
        encrypted: true,
    };
    // A timer: one connection every 10 s, each its own tick.
    r.devices[0].timeline = (0..40).map(|i| beat(i as f64 * 10.0)).collect();
    let html = iotscope_report::html::render(&r);
    assert_eq!(
        timeline_of(&html, 0).matches("<rect class=\"conn").count(),
        40
    );

    // Thousands of connections over many lanes: merged to a bounded number of bars.
    r.devices[0].timeline = (0..20_000)
        .map(|i| Connection {
            destination: r.devices[0].endpoints[i % r.devices[0].endpoints.len()]
                .name
                .clone(),
            encrypted: i % 3 == 0,
            ..beat(i as f64 * 0.02)
        })
        .collect();
    let html = iotscope_report::html::render(&r);
    let bars = timeline_of(&html, 0).matches("<rect class=\"conn").count();
    assert!((1..=600).contains(&bars), "{bars} bars");
    assert_finite_charts(&html);
}

/// Devices that get a timeline and a bytes chart.
fn with_charts(r: &Report) -> usize {
    r.devices
        .iter()
        .filter(|d| !d.timeline.is_empty() && !d.endpoints.is_empty())
        .count()
}

/// A fresh folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("iotscope-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).expect("temp dir");
    p
}

/// Runs headless Chromium on a page with `extra` arguments; its stdout and stderr.
fn chromium(dir: &Path, page: &Path, extra: &[String]) -> (String, String) {
    let profile = dir.join(format!("profile-{}", extra.len()));
    let out = dir.join("stdout");
    let err = dir.join("stderr");
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for chromium").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (
        std::fs::read_to_string(out).unwrap_or_default(),
        std::fs::read_to_string(err).unwrap_or_default(),
    )
}

/// The page's console messages in Chromium's log. With `--enable-logging=stderr`, Chromium writes
/// each one, whatever its level, as
/// `[pid:tid:MMDD/HHMMSS.micros:INFO:CONSOLE:LINE] "message", source: URL (LINE)`
/// (older builds wrote `CONSOLE(LINE)`).
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE:") || l.contains(":CONSOLE("))
        .collect()
}

#[test]
fn html_report_opens_in_chromium_without_console_messages() {
    if !Path::new(CHROMIUM).exists() {
        if std::env::var_os("CI").is_some() {
            panic!("{CHROMIUM} is not installed; .ci/run installs Debian's chromium package");
        }
        eprintln!("\n*** skipped: {CHROMIUM} not installed (apt-get install chromium) ***\n");
        return;
    }
    let dir = scratch("html-browser");

    // The check itself: a page that does log is seen to.
    let control = dir.join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><title>t</title><script>console.error('iotscope-control')</script>",
    )
    .unwrap();
    let (_, err) = chromium(&dir, &control, &["--dump-dom".into()]);
    assert!(
        console_lines(&err)
            .iter()
            .any(|l| l.contains("iotscope-control")),
        "the console check no longer sees Chromium's console lines:\n{err}"
    );

    let r = report_of(HUE);
    let page = dir.join("report.html");
    std::fs::write(&page, iotscope_report::html::render(&r)).unwrap();
    let (dom, err) = chromium(&dir, &page, &["--dump-dom".into()]);
    assert!(
        dom.contains("<h1>iotscope report</h1>"),
        "{dom:.2000}\n{err}"
    );
    for chart in [
        r#"class="chart sankey""#,
        r#"class="chart timeline""#,
        r#"class="chart bytes""#,
    ] {
        assert!(dom.contains(chart), "{chart} missing from the DOM");
    }
    let console = console_lines(&err);
    assert!(console.is_empty(), "console messages: {console:#?}");

    let png = dir.join("report.png");
    let (_, err) = chromium(
        &dir,
        &page,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2400".into(),
            "--hide-scrollbars".into(),
        ],
    );
    let image = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}\n{err}", png.display()));
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(
        image.len() > 30_000,
        "a {} byte screenshot is blank",
        image.len()
    );
    assert!(console_lines(&err).is_empty(), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
