// `sqlx::migrate!` embeds the migrations at compile time, but cargo does not know the files
// are read: without this, a new migration is missing from an incremental build.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
