//! Links the `kql` binary as a position-dependent executable on Linux (`-no-pie`).
//!
//! The binary is large (DataFusion, Arrow, the function library: over 100 MB of code), and as
//! a position-independent executable the dynamic loader applies about 230,000 relocations at
//! every start, copying the pages of relocated read-only data it writes: half of the time a
//! trivial `kql query 'print 1'` takes (about 5 of 11 ms), paid by every query an analyst or a
//! script runs. Linked at a fixed address those relocations are resolved by the linker. The
//! cost is address-space randomisation of the executable's own image (shared libraries and
//! the heap stay randomised); set `KQL_PIE=1` when building to keep a PIE.

fn main() {
    println!("cargo:rerun-if-env-changed=KQL_PIE");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux && std::env::var_os("KQL_PIE").is_none() {
        println!("cargo:rustc-link-arg-bin=kql=-no-pie");
    }
}
