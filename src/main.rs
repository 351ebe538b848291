use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    klaxon::phase::start();
    // Crash reports go beside the store; a crash says where in one plain line.
    klaxon::crash::install(
        klaxon::config::paths::Dirs::platform().data.join("crash"),
        klaxon::runtime::restore_if_active,
    );
    let cli = klaxon::cli::Cli::parse();
    let console = cli.command.is_none();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if console {
        // The console: its keys are read and drawn on threads of their own (not the
        // runtime's), and everything on the runtime's threads is work no key waits for.
        runtime.on_thread_start(klaxon::runtime::behind_keys);
    }
    let runtime = match runtime.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("klaxon: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(klaxon::cli::run(cli));
    klaxon::phase::mark("command returned");
    if console {
        klaxon::runtime::stop_saying_why(|| drop(runtime));
    } else {
        drop(runtime);
    }
    klaxon::phase::mark("runtime stopped");
    let code = match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("klaxon: {e}");
            e.exit_code()
        }
    };
    end(code)
}

/// Ends the process once its work is done and said. What returning from `main` would do
/// next is give the heap back, which the allocator's exit handler does range by range
/// (`madvise`, 1.8 ms after listing 10,000 alerts, measured with `perf`); the kernel takes
/// the whole address space back at once when the process exits.
fn end(code: i32) -> ! {
    use std::io::Write;
    // Rust flushes its stdout buffer after `main` returns: done here, since that is skipped.
    let _ = std::io::stdout().flush();
    // SAFETY: `_exit` only ends the process. Nothing after this point was going to run but
    // exit handlers: every thread's work is joined, files are written and closed, the
    // store's transactions committed, and stderr is unbuffered.
    unsafe { libc::_exit(code) }
}
