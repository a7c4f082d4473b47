//! The command line: `serve` (the default), `seed` and `export-schema`.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::{app, config::Settings, http, schema, seed, telemetry};

/// The InstaNext GraphQL server.
#[derive(Parser)]
#[command(name = "instanext", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default). On the embedded database, an empty
    /// database is first filled with demo data.
    Serve,
    /// Fill an empty database with demo data, the demo account included.
    Seed {
        /// How many accounts to create, the demo account among them.
        #[arg(long, default_value_t = 60,
              value_parser = clap::value_parser!(u32).range(seed::MIN_USERS as i64..=100_000))]
        users: u32,
    },
    /// Print the GraphQL schema in SDL, or write it to a file.
    ExportSchema {
        /// File to write instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    // A local `.env` file is optional; real environment variables win.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    telemetry::init(cli.settings.log_format);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.settings).await,
        Command::Seed { users } => seed_command(&cli.settings, users).await,
        Command::ExportSchema { output } => export_schema(output),
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    // Bind first: a taken port should fail before anything is written.
    let listener = TcpListener::bind(settings.bind_addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.bind_addr))?;
    let app::Prepared {
        app,
        schema,
        seeded,
    } = app::prepare(settings).await?;
    if let Some(summary) = seeded {
        tracing::info!(?summary, "loaded demo data into the new embedded database");
    }
    let address = listener.local_addr()?;
    tracing::info!("listening on http://{address}/graphql");

    http::serve(listener, app.clone(), schema, shutdown_signal()).await?;

    app.db
        .clone()
        .close()
        .await
        .context("cannot close the database")?;
    tracing::info!("stopped");
    Ok(())
}

async fn seed_command(settings: &Settings, users: u32) -> anyhow::Result<()> {
    let (url, _) = settings.database()?;
    let db = app::open_database(settings, &url).await?;
    let summary = app::load_demo_data(&db, settings, users).await?;
    println!(
        "seeded {} users, {} posts, {} stories, {} images, {} follows, {} likes; \
         sign in as {} with password {}",
        summary.users,
        summary.posts,
        summary.stories,
        summary.images,
        summary.follows,
        summary.likes,
        seed::DEMO_EMAIL,
        seed::DEMO_PASSWORD,
    );
    Ok(())
}

fn export_schema(output: Option<PathBuf>) -> anyhow::Result<()> {
    let sdl = schema::sdl();
    match output {
        Some(path) => {
            std::fs::write(&path, sdl).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            print!("{sdl}");
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, so that in-flight requests can finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
