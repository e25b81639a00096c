// The migrations are embedded by the `app` crate; nothing to do here but keep cargo honest when
// they change, since this crate's binary is what ships them.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
