//! Declares `cfg(loopback)`: the targets where the fft role has a loopback capture backend
//! (PulseAudio/PipeWire on Linux and the BSDs, WASAPI on Windows), so the capture module can say
//! so once instead of repeating the list of operating systems.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(loopback)");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(
        os.as_str(),
        "linux" | "dragonfly" | "freebsd" | "netbsd" | "windows"
    ) {
        println!("cargo::rustc-cfg=loopback");
    }
}
