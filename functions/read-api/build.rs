//! Chooses the folder the dashboard is embedded from: `dashboard/dist` when the dashboard has been
//! built (`npm ci && npm run build` in `dashboard/`), otherwise a one-page placeholder written to
//! OUT_DIR that says how to build it — so a Rust-only build, with no Node on the machine, compiles.

use std::path::PathBuf;

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Precog dashboard not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}
code,pre{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>The dashboard was not built into this binary</h1>
<p>This read-api was compiled without the dashboard's files. The JSON API works as usual:
see <a href="/docs">/docs</a> and <a href="/health">/health</a>.</p>
<p>To include the dashboard, build it with Node.js 20+ and npm, then rebuild read-api:</p>
<pre>cd functions/read-api/dashboard
npm ci
npm run build
cd ../../..
cargo build -p read-api</pre>
</body></html>
"#;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dist = manifest.join("dashboard").join("dist");
    let folder = if dist.join("index.html").is_file() {
        println!("cargo:rerun-if-changed=dashboard/dist");
        println!("cargo:rustc-env=DASHBOARD_BUILT=1");
        // Relative: rust-embed (with `debug-embed`) resolves it against this crate's folder. An
        // absolute path would outlive the checkout in a target dir shared between clones, and a
        // later clone's rebuild would embed from a folder that is gone.
        PathBuf::from("dashboard/dist")
    } else {
        // Watching the (committed) source folder notices when `dist/` appears.
        println!("cargo:rerun-if-changed=dashboard");
        println!("cargo:rustc-env=DASHBOARD_BUILT=0");
        let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("dashboard");
        std::fs::create_dir_all(&out).expect("creating the placeholder folder");
        std::fs::write(out.join("index.html"), PLACEHOLDER).expect("writing the placeholder");
        out
    };
    println!("cargo:rustc-env=DASHBOARD_DIR={}", folder.display());
}
