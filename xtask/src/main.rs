//! Build tasks, so nothing beyond cargo has to be installed: `cargo xtask build` compiles the
//! browser bundle (wasm + wasm-bindgen glue, as a library pinned to the workspace's wasm-bindgen
//! version), copies the stylesheet and public assets into `target/site`, and builds the server.
//!
//!   cargo xtask build [--release]     browser bundle + server binary
//!   cargo xtask site [--release]      browser bundle only
//!   cargo xtask serve [--release]     build, then run `arbor serve`

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let release = args.iter().any(|a| a == "--release");
    let root = workspace_root()?;
    match args.first().map(String::as_str) {
        Some("site") => build_site(&root, release),
        Some("build") => {
            build_site(&root, release)?;
            build_server(&root, release)
        }
        Some("serve") => {
            build_site(&root, release)?;
            build_server(&root, release)?;
            serve(&root, release)
        }
        _ => bail!("usage: cargo xtask <build|site|serve> [--release]"),
    }
}

fn workspace_root() -> Result<PathBuf> {
    // `cargo run` sets it at run time too; prefer that, so a binary built from another checkout
    // sharing the target directory still works on this one.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask must live inside the workspace")
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn cargo(root: &Path, args: &[&str], envs: &[(&str, &str)]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

/// The split step's loader, under the name `leptos::HydrationScripts` looks for (and that the
/// main module imports): the underscores are where cargo-leptos would put a content hash.
const SPLIT_LOADER: &str = "__wasm_split.______________________.js";
/// Which chunks each lazy route needs, read by the server to preload a page's chunks.
const SPLIT_MANIFEST: &str = "__wasm_split_manifest.json";

fn build_site(root: &Path, release: bool) -> Result<()> {
    let profile = if release { "wasm-release" } else { "wasm-dev" };
    // The split step reads the linker's relocations to find what each lazy route reaches. Set for
    // the wasm target only, so host crates (build scripts, proc macros) keep their fingerprints.
    let rustflags = match std::env::var("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS") {
        Ok(flags) if !flags.trim().is_empty() => format!("{flags} -Clink-args=--emit-relocs"),
        _ => "-Clink-args=--emit-relocs".to_owned(),
    };
    cargo(
        root,
        &[
            "build",
            "--package",
            "frontend",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            profile,
        ],
        &[(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            rustflags.as_str(),
        )],
    )?;
    let out = target_dir(root)
        .join("wasm32-unknown-unknown")
        .join(profile);
    let wasm = out.join("frontend.wasm");
    let site = root.join("target").join("site");
    let pkg = site.join("pkg");
    // Chunk names change with the code: a chunk left from an earlier build would be served stale.
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg).with_context(|| format!("cannot empty {}", pkg.display()))?;
    }
    std::fs::create_dir_all(&pkg)?;
    let main_wasm = out.join("frontend_split.wasm");
    let chunks = split_wasm(&wasm, &main_wasm, &pkg)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&main_wasm)
        .out_name("arbor")
        .web(true)?
        .typescript(false)
        .debug(!release)
        // The chunks import the main module's functions and table by their linker names.
        .keep_lld_exports(true)
        .demangle(false)
        .generate(&pkg)
        .with_context(|| format!("wasm-bindgen failed on {}", main_wasm.display()))?;
    if release {
        optimise_wasm(root, &pkg.join("arbor_bg.wasm"))?;
        for chunk in &chunks {
            optimise_wasm(root, chunk)?;
        }
    }
    std::fs::write(pkg.join("arbor.css"), stylesheet(root)?).context("cannot write arbor.css")?;
    for entry in std::fs::read_dir(root.join("public")).context("cannot read public/")? {
        let entry = entry?;
        std::fs::copy(entry.path(), site.join(entry.file_name()))?;
    }
    let size = std::fs::metadata(pkg.join("arbor_bg.wasm"))?.len();
    let mut chunk_bytes = 0;
    for chunk in &chunks {
        chunk_bytes += std::fs::metadata(chunk)?.len();
    }
    println!(
        "site ready in {} (arbor_bg.wasm: {} KiB; {} lazy chunks: {} KiB)",
        site.display(),
        size / 1024,
        chunks.len(),
        chunk_bytes / 1024
    );
    Ok(())
}

/// Splits the linked wasm at its lazy routes: writes the main module to `main_out` (for
/// wasm-bindgen), the chunks, their loader and the manifest into `pkg`, and returns the chunks.
fn split_wasm(wasm: &Path, main_out: &Path, pkg: &Path) -> Result<Vec<PathBuf>> {
    let input = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let link_name = format!("./{SPLIT_LOADER}");
    let mut options = wasm_split_cli_support::Options::new(&input);
    options.output_dir = pkg;
    options.main_out_path = main_out;
    // Both resolved from the loader, which sits beside the wasm-bindgen glue in `pkg`.
    options.main_module = "./arbor.js";
    options.link_name = &link_name;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|e| anyhow::anyhow!("wasm-split failed on {}: {e:?}", wasm.display()))?;
    let manifest =
        serde_json::to_string_pretty(&split.prefetch_map).context("cannot encode the manifest")?;
    std::fs::write(pkg.join(SPLIT_MANIFEST), manifest).context("cannot write the manifest")?;
    anyhow::ensure!(
        pkg.join(SPLIT_LOADER).exists(),
        "wasm-split wrote no {SPLIT_LOADER}"
    );
    Ok(split.split_modules)
}

/// The design system's files, in cascade order: a later file may override an earlier one.
const STYLESHEETS: [&str; 4] = ["tokens.css", "base.css", "components.css", "pages.css"];

/// The one served stylesheet: `style/`'s files concatenated in [`STYLESHEETS`] order.
fn stylesheet(root: &Path) -> Result<String> {
    let mut css = String::new();
    for name in STYLESHEETS {
        let path = root.join("style").join(name);
        let part = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        css.push_str(&part);
        if !css.ends_with('\n') {
            css.push('\n');
        }
    }
    Ok(css)
}

/// Runs npm's `wasm-opt` (binaryen 132) when the end-to-end tooling has installed it. Debian's
/// binaryen 108 silently produces a wasm that fails to hydrate, so it is never used.
fn optimise_wasm(root: &Path, wasm: &Path) -> Result<()> {
    let wasm_opt = root.join("end2end/node_modules/.bin/wasm-opt");
    if !wasm_opt.exists() {
        println!(
            "wasm-opt not installed (npm ci in end2end/ brings it): keeping the unoptimised bundle"
        );
        return Ok(());
    }
    let status = Command::new(&wasm_opt)
        .arg(wasm)
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-reference-types",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "-o",
        ])
        .arg(wasm)
        .status()
        .context("cannot run wasm-opt")?;
    if !status.success() {
        bail!("wasm-opt failed");
    }
    Ok(())
}

fn build_server(root: &Path, release: bool) -> Result<()> {
    let mut args = vec!["build", "--package", "server", "--bin", "arbor"];
    if release {
        args.push("--release");
    }
    cargo(root, &args, &[])
}

fn serve(root: &Path, release: bool) -> Result<()> {
    let binary = target_dir(root)
        .join(if release { "release" } else { "debug" })
        .join("arbor");
    let status = Command::new(binary)
        .arg("serve")
        .env(
            "ARBOR_SITE_ROOT",
            std::env::var("ARBOR_SITE_ROOT")
                .unwrap_or_else(|_| root.join("target/site").to_string_lossy().into_owned()),
        )
        .current_dir(root)
        .status()
        .context("cannot start arbor")?;
    if !status.success() {
        bail!("arbor exited with {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_served_stylesheet_is_every_style_file_once_in_cascade_order() -> Result<()> {
        let root = workspace_root()?;
        let css = stylesheet(&root)?;
        let mut from = 0;
        for name in STYLESHEETS {
            let part = std::fs::read_to_string(root.join("style").join(name))?;
            let at = css[from..]
                .find(part.as_str())
                .with_context(|| format!("{name} is missing or out of order"))?;
            from += at + part.len();
        }
        // A new file in style/ that the list leaves out would silently not be served.
        let on_disk: BTreeSet<String> = std::fs::read_dir(root.join("style"))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".css"))
            .collect();
        let listed: BTreeSet<String> = STYLESHEETS.iter().map(|n| (*n).to_owned()).collect();
        anyhow::ensure!(
            on_disk == listed,
            "style/ holds {on_disk:?}, the build serves {listed:?}"
        );
        Ok(())
    }
}
