//! The Assist benchmark's database: the demo (users, flows, catalog) and
//! N generated resources of the same integrations and types around it
//! (tests/common/synthetic.rs, as the 100k recall test uses).
//!
//! cargo run --release -p gatehouse --example assist_catalog -- DB [N]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/synthetic.rs"]
mod synthetic;

use gatehouse::{db::Db, demo};
use rusqlite::params;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::PathBuf::from(args.get(1).expect("database path"));
    let count: usize = args.get(2).map_or(100_000, |a| a.parse().unwrap());
    let started = std::time::Instant::now();
    let db = Db::open(&path).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(demo::seed(&db, now))
        .unwrap();
    drop(db);
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut kind = tx
            .prepare(
                "SELECT i.id, t.id FROM integrations i JOIN resource_types t ON t.integration_id = i.id
                 WHERE i.name = ?1 AND t.name = ?2",
            )
            .unwrap();
        let mut insert = tx
            .prepare(
                "INSERT INTO resources (integration_id, resource_type_id, name, path, tags, search_text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )
            .unwrap();
        let mut tags_of = tx
            .prepare(
                "INSERT INTO resource_tags (resource_id, tag)
                 SELECT last_insert_rowid(), value FROM json_each(?1) WHERE changes() > 0",
            )
            .unwrap();
        for (integration, resource_type, name, path, tags) in synthetic::catalog(count) {
            let (integration_id, type_id): (i64, i64) = kind
                .query_row(params![integration, resource_type], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .unwrap();
            let search = format!("{} {} {}", name, path, tags.join(" ")).to_lowercase();
            insert
                .execute(params![
                    integration_id,
                    type_id,
                    name,
                    path,
                    serde_json::to_string(&tags).unwrap(),
                    search
                ])
                .unwrap();
            tags_of
                .execute(params![serde_json::to_string(&tags).unwrap()])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    let total: i64 = conn
        .query_row("SELECT COUNT(*) FROM resources", [], |r| r.get(0))
        .unwrap();
    println!(
        "{} resources in {} ({:.1} s)",
        total,
        path.display(),
        started.elapsed().as_secs_f64()
    );
}
