//! Counters an operator or a benchmark reads from `GET /metrics`, in the
//! Prometheus text format.

use std::{
    fmt::Write,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use sea_orm::DatabaseConnection;

/// What the server has done since it started.
#[derive(Default)]
pub struct Metrics {
    statements: AtomicU64,
}

impl Metrics {
    /// Counters fed by `db`: every statement its pool runs is counted.
    pub fn attach(db: &mut DatabaseConnection) -> Arc<Self> {
        let metrics = Arc::new(Self::default());
        let counter = metrics.clone();
        db.set_metric_callback(move |_| {
            counter.statements.fetch_add(1, Ordering::Relaxed);
        });
        metrics
    }

    /// SQL statements run so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// The counters in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "# HELP instanext_db_statements_total SQL statements run by the server's database pool.\n\
             # TYPE instanext_db_statements_total counter\n\
             instanext_db_statements_total {}",
            self.statements()
        );
        text
    }
}
