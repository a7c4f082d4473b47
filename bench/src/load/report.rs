//! The Markdown report: the machine, the database, the dataset, one table
//! per workload, and the floor with the API's ratios to it.

use std::fmt::Write;

use super::wrk::Measured;

/// One cell of a workload's table.
pub struct Cell {
    pub clients: u32,
    pub measured: Measured,
    /// SQL statements per request, when the server's counter was read.
    pub statements_per_request: Option<f64>,
    /// The server's peak resident memory during the cell, in KiB.
    pub peak_kib: Option<u64>,
}

/// One workload's results.
pub struct Section {
    pub title: String,
    pub description: String,
    pub cells: Vec<Cell>,
}

/// Everything the report shows.
pub struct Report {
    pub title: String,
    pub note: Option<String>,
    pub setup: Vec<(String, String)>,
    pub rows: Vec<(&'static str, i64)>,
    pub generation: String,
    pub sections: Vec<Section>,
    pub floor: Section,
    pub ratios: Vec<(String, String)>,
    pub feed_sql: Vec<String>,
    /// The database's plan of the feed's page query, first page and deep.
    pub plans: Vec<(String, Vec<String>)>,
    /// The comparison of the feed query's shapes, in Markdown.
    pub shapes: String,
    /// What each part of a feed request adds at one client, in Markdown.
    pub parts: String,
}

/// The processor, memory and OS, from /proc and /etc/os-release.
pub fn machine() -> Vec<(String, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cores = cpuinfo
        .lines()
        .filter(|line| line.starts_with("processor"))
        .count();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown processor", |(_, name)| name.trim())
        .to_owned();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or_else(
            || "unknown".to_owned(),
            |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0),
        );
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map_or("unknown", |name| name.trim_matches('"'))
        .to_owned();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    vec![
        (
            "machine".to_owned(),
            format!("{cores} logical processors, {model}, {memory} memory"),
        ),
        ("OS".to_owned(), format!("{os}, Linux {}", kernel.trim())),
    ]
}

fn errors(measured: &Measured) -> String {
    if measured.errors() == 0 {
        return "0".to_owned();
    }
    let mut parts = Vec::new();
    if measured.non_2xx > 0 {
        parts.push(format!("{} non-2xx", measured.non_2xx));
    }
    if measured.graphql_errors > 0 {
        parts.push(format!("{} with errors", measured.graphql_errors));
    }
    if measured.socket_errors > 0 {
        parts.push(format!(
            "{} socket errors or timeouts",
            measured.socket_errors
        ));
    }
    format!("{} ({})", measured.errors(), parts.join(", "))
}

fn table(out: &mut String, section: &Section, memory: bool) {
    let _ = writeln!(out, "### {}\n\n{}\n", section.title, section.description);
    if memory {
        let _ = writeln!(
            out,
            "| clients | requests/s | p50 ms | p99 ms | requests | errors | SQL statements/request | server peak RSS MiB |\n\
             | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"
        );
    } else {
        let _ = writeln!(
            out,
            "| clients | requests/s | p50 ms | p99 ms | requests | errors | SQL statements/request |\n\
             | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
        );
    }
    for cell in &section.cells {
        let m = &cell.measured;
        let statements = cell
            .statements_per_request
            .map_or_else(|| "–".to_owned(), |value| format!("{value:.1}"));
        let _ = write!(
            out,
            "| {} | {:.1} | {:.2} | {:.2} | {} | {} | {statements} |",
            cell.clients,
            m.throughput(),
            m.p50_ms,
            m.p99_ms,
            m.requests,
            errors(m),
        );
        if memory {
            let peak = cell.peak_kib.map_or_else(
                || "–".to_owned(),
                |kib| format!("{:.1}", kib as f64 / 1024.0),
            );
            let _ = write!(out, " {peak} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {}\n", self.title);
        if let Some(note) = &self.note {
            let _ = writeln!(out, "{note}\n");
        }

        let _ = writeln!(out, "## Setup\n\n| | |\n| --- | --- |");
        for (key, value) in &self.setup {
            let _ = writeln!(out, "| {key} | {value} |");
        }

        let _ = writeln!(out, "\n## Dataset\n\n| table | rows |\n| --- | ---: |");
        for (table, count) in &self.rows {
            let _ = writeln!(out, "| `{table}` | {count} |");
        }
        let _ = writeln!(out, "\n{}\n", self.generation);

        let _ = writeln!(out, "## Workloads over HTTP\n");
        for section in &self.sections {
            table(&mut out, section, true);
        }

        let _ = writeln!(out, "## Floor\n");
        table(&mut out, &self.floor, false);
        if !self.ratios.is_empty() {
            let _ = writeln!(out, "| API / floor | ratio |\n| --- | ---: |");
            for (what, ratio) in &self.ratios {
                let _ = writeln!(out, "| {what} | {ratio} |");
            }
            out.push('\n');
        }
        let _ = writeln!(out, "{}", self.parts);

        let _ = writeln!(
            out,
            "### The statements of one home-feed request\n\nIn the order they finished, \
             with the values of one viewer:\n\n```sql"
        );
        for statement in &self.feed_sql {
            let _ = writeln!(out, "{statement};\n");
        }
        let _ = writeln!(out, "```");

        if !self.plans.is_empty() {
            let _ = writeln!(out, "\n### How the database runs the page of posts\n");
        }
        for (label, lines) in &self.plans {
            let _ = writeln!(out, "{label}:\n\n```text\n{}\n```\n", lines.join("\n"));
        }
        out.push_str(&self.shapes);
        out
    }
}
