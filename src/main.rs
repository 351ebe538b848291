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
    if let Err(e) = result {
        eprintln!("klaxon: {e}");
        std::process::exit(e.exit_code());
    }
}
