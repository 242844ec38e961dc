//! The PostgreSQL pool as patched in `vendor/sqlx-core` (see vendor/README.md): a connection
//! going back to the pool is flushed, not pinged — one round trip per statement instead of
//! two — and what the ping also did still happens: a transaction dropped without commit is
//! rolled back, and a statement cancelled halfway is drained, before anyone reuses the
//! connection.
//!
//! The connection runs through a proxy that counts the protocol's `Sync` messages from orgd
//! to PostgreSQL: every extended-protocol statement ends with one, and upstream's release
//! ping is a lone `Sync`.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use org_infra::Database;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Copies orgd's bytes to PostgreSQL, counting the `Sync` messages among them.
async fn count_client_syncs(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    syncs: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    // The startup message has no type byte: a length (counting itself) and the payload.
    let len = from.read_u32().await?;
    let mut body = vec![0; len as usize - 4];
    from.read_exact(&mut body).await?;
    to.write_u32(len).await?;
    to.write_all(&body).await?;
    loop {
        let kind = from.read_u8().await?;
        let len = from.read_u32().await?;
        let mut body = vec![0; len as usize - 4];
        from.read_exact(&mut body).await?;
        if kind == b'S' {
            syncs.fetch_add(1, Ordering::SeqCst);
        }
        to.write_u8(kind).await?;
        to.write_u32(len).await?;
        to.write_all(&body).await?;
    }
}

/// A one-connection pool to the test server through the counting proxy; `None` (the test
/// is skipped) unless `ORGD_TEST_DATABASE_URL` is set.
async fn proxied_pool() -> Option<(Database, Arc<AtomicUsize>)> {
    let Ok(url) = std::env::var("ORGD_TEST_DATABASE_URL") else {
        eprintln!("ORGD_TEST_DATABASE_URL not set: skipped");
        return None;
    };
    let mut url = url::Url::parse(&url).unwrap();
    let server = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let syncs = Arc::new(AtomicUsize::new(0));
    let counter = syncs.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = TcpStream::connect(&server).await.unwrap();
            let (client_read, mut client_write) = client.into_split();
            let (mut upstream_read, upstream_write) = upstream.into_split();
            tokio::spawn(count_client_syncs(
                client_read,
                upstream_write,
                counter.clone(),
            ));
            tokio::spawn(
                async move { tokio::io::copy(&mut upstream_read, &mut client_write).await },
            );
        }
    });
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(port)).unwrap();
    // Plain TCP: the proxy reads the protocol, not TLS.
    url.query_pairs_mut().append_pair("sslmode", "disable");
    let db = Database::connect(url.as_str(), 1, Duration::from_secs(10))
        .await
        .unwrap();
    Some((db, syncs))
}

fn sql(text: &str) -> Statement {
    Statement::from_string(DbBackend::Postgres, text)
}

async fn int(db: &Database, text: &str) -> i32 {
    let row = db.connection().query_one_raw(sql(text)).await.unwrap();
    row.unwrap().try_get_by_index(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_statement_costs_one_round_trip() {
    let Some((db, syncs)) = proxied_pool().await else {
        return;
    };
    // The first execution also prepares the statement (a round trip of its own).
    assert_eq!(int(&db, "SELECT 1").await, 1);
    let before = syncs.load(Ordering::SeqCst);
    for _ in 0..10 {
        assert_eq!(int(&db, "SELECT 1").await, 1);
    }
    // Upstream sqlx-core: 20 (each statement's Sync, then the release ping's).
    assert_eq!(syncs.load(Ordering::SeqCst) - before, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_dropped_without_commit_is_rolled_back_before_reuse() {
    let Some((db, _)) = proxied_pool().await else {
        return;
    };
    {
        let txn = db.connection().begin().await.unwrap();
        txn.execute_unprepared("CREATE TEMPORARY TABLE orgd_pool_probe (x int)")
            .await
            .unwrap();
        // Dropped here: sqlx queues a ROLLBACK, which the release must send.
    }
    // The pool's only connection: not in a transaction any more, and the table is gone.
    assert_eq!(
        int(
            &db,
            "SELECT (pg_current_xact_id_if_assigned() IS NULL)::int"
        )
        .await,
        1
    );
    assert_eq!(
        int(
            &db,
            "SELECT count(*)::int FROM pg_class WHERE relname = 'orgd_pool_probe'"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_cancelled_halfway_leaves_nothing_for_the_next() {
    let Some((db, _)) = proxied_pool().await else {
        return;
    };
    let slow = db
        .connection()
        .query_one_raw(sql("SELECT 7 FROM pg_sleep(0.3)"));
    assert!(
        tokio::time::timeout(Duration::from_millis(50), slow)
            .await
            .is_err()
    );
    // The same connection: the cancelled statement's row and ReadyForQuery were drained,
    // so this answer is this statement's.
    assert_eq!(int(&db, "SELECT 2").await, 2);
    assert_eq!(int(&db, "SELECT 3").await, 3);
}

/// The vendored pool boxes the rarely taken branches that open or close a connection, so
/// the future of a checkout — every statement awaits one, and the task that returns the
/// connection afterwards is sized alike — does not carry a connection attempt's state.
/// Upstream's checkout future is 14.5 KB, and moving it (into a box, between states) was
/// ~10 % of the server's instructions per request (vendor/README.md).
#[tokio::test]
async fn a_checkout_does_not_carry_a_connection_attempt() {
    // Never connects: only the future's type is measured.
    let pool = sea_orm::sqlx::PgPool::connect_lazy("postgres://orgd@127.0.0.1:9/none").unwrap();
    let checkout = pool.acquire();
    let size = std::mem::size_of_val(&checkout);
    assert!(size < 2048, "the checkout future is {size} bytes");
}
