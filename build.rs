//! Rebuilds when embedded files change: rust-embed compiles them in, but cargo only watches
//! Rust sources on its own.

fn main() {
    println!("cargo:rerun-if-changed=content/starter");
    println!("cargo:rerun-if-changed=src/web/assets");
    println!("cargo:rerun-if-changed=src/i18n");
}
