//! Group commit: the writes of many requests in one transaction, each in its own savepoint,
//! so they share one commit and one disk flush. A commit with `synchronous=FULL` costs a flush
//! of the write-ahead log, and only one SQLite transaction writes at a time, so one flush per
//! order caps orders per second at flushes per second; shared, the flush is paid once for
//! everything that queued meanwhile.
//!
//! One committer thread per pool takes the queued work, runs each piece in a savepoint (a
//! failure undoes only its own writes), commits, and only then answers each caller: nobody
//! hears "done" before the data is on disk, and nobody else can see it earlier either.
//!
//! PostgreSQL needs none of this: concurrent transactions commit in parallel and the server
//! already flushes the commits that arrive together at once. Funnelled through one
//! connection, every statement's round trip would be paid in turn (supplier answers fell to
//! 64 a second that way), so there each piece of work is its own transaction on a pooled
//! connection.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use super::{Backend, Conn, DbError, Pool};

/// Tells a caller how its work ended, given how the shared transaction ended.
type Deliver = Box<dyn FnOnce(Result<(), &DbError>) + Send>;
/// A caller's work: runs it (or, given no connection, fails it) and returns its delivery.
type Job = Box<dyn FnOnce(Option<&mut Conn>) -> Deliver + Send>;

pub struct GroupCommit {
    /// The committer's queue; `None` on PostgreSQL, where work runs on the pool.
    jobs: Option<Sender<Job>>,
    pool: Pool,
}

impl GroupCommit {
    /// Starts the committer thread; it stops when this handle is dropped.
    pub fn start(pool: Pool, max_batch: usize) -> std::io::Result<GroupCommit> {
        if pool.backend() == Backend::Postgres {
            return Ok(GroupCommit { jobs: None, pool });
        }
        let (jobs, queue) = mpsc::channel();
        let committer = pool.clone();
        std::thread::Builder::new()
            .name("group-commit".into())
            .spawn(move || commit_loop(&committer, &queue, max_batch.max(1)))?;
        Ok(GroupCommit {
            jobs: Some(jobs),
            pool,
        })
    }

    /// Runs `work` inside a shared transaction and answers once that transaction has
    /// committed. `work` must only write through the connection it is given.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let Some(jobs) = &self.jobs else {
            return self.pool.run(move |conn| conn.transaction(work)).await;
        };
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn: Option<&mut Conn>| -> Deliver {
            let result = match conn {
                // Nested inside the shared transaction: a savepoint of its own.
                Some(conn) => conn.transaction(work),
                None => Err(E::from(DbError::GroupCommit(
                    "the shared transaction could not start".into(),
                ))),
            };
            Box::new(move |committed: Result<(), &DbError>| {
                let outcome = match committed {
                    Ok(()) => result,
                    Err(error) => Err(E::from(DbError::GroupCommit(error.to_string()))),
                };
                // The caller may have gone (client disconnected); nothing to tell then.
                let _ = reply.send(outcome);
            })
        });
        jobs.send(job)
            .map_err(|_| E::from(DbError::GroupCommit("the committer has stopped".into())))?;
        answer
            .await
            .map_err(|_| E::from(DbError::GroupCommit("the shared transaction failed".into())))?
    }

    /// Reads with `read` and, unless it already has the answer (`Err`), writes with `write`
    /// as [`GroupCommit::run`] does. On PostgreSQL both run on one pooled connection, one
    /// after the other: one checkout, one trip to a blocking thread. On SQLite the read runs on
    /// the pool, outside the committer's transaction, so it never holds up other writers.
    pub async fn read_then_write<P, T, E, R, W>(&self, read: R, write: W) -> Result<T, E>
    where
        R: FnOnce(&mut Conn) -> Result<Result<P, T>, E> + Send + 'static,
        W: FnOnce(&mut Conn, P) -> Result<T, E> + Send + 'static,
        P: Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        if self.jobs.is_none() {
            return self
                .pool
                .run(move |conn| match read(conn)? {
                    Ok(read) => conn.transaction(|conn| write(conn, read)),
                    Err(answer) => Ok(answer),
                })
                .await;
        }
        match self.pool.run(read).await? {
            Ok(read) => self.run(move |conn| write(conn, read)).await,
            Err(answer) => Ok(answer),
        }
    }
}

fn commit_loop(pool: &Pool, queue: &Receiver<Job>, max_batch: usize) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!(%error, "no connection for a group commit");
                for job in batch {
                    job(None)(Ok(()));
                }
                continue;
            }
        };
        let mut delivers: Vec<Deliver> = Vec::with_capacity(batch.len());
        let mut pending = batch.into_iter();
        let committed = conn.transaction(|conn| {
            for job in pending.by_ref() {
                match catch_unwind(AssertUnwindSafe(|| job(Some(&mut *conn)))) {
                    Ok(deliver) => delivers.push(deliver),
                    // A bug in one piece of work: undo the lot rather than commit half of it.
                    Err(_) => return Err(DbError::GroupCommit("a write panicked".into())),
                }
            }
            Ok(())
        });
        if let Err(error) = &committed {
            tracing::warn!(%error, "group commit failed");
        }
        for deliver in delivers {
            deliver(committed.as_ref().map(|_| ()));
        }
        // Work never started (the transaction could not begin, or a piece panicked).
        for job in pending {
            job(None)(Ok(()));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    use super::*;
    use crate::config::DatabaseSettings;
    use crate::with_conn;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn insert(conn: &mut Conn, value: &str) -> Result<(), DbError> {
        with_conn!(conn, |c| diesel::sql_query(format!(
            "INSERT INTO t (v) VALUES ('{value}')"
        ))
        .execute(c))?;
        Ok(())
    }

    #[tokio::test]
    async fn each_piece_of_work_commits_or_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::connect(&DatabaseSettings {
            url: dir.path().join("t.db").to_string_lossy().into_owned(),
            pool_size: 4,
            busy_timeout_ms: 5000,
            connect_timeout_ms: 5000,
        })
        .unwrap();
        let mut conn = pool.get().unwrap();
        with_conn!(&mut conn, |c| c.batch_execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)"
        ))
        .unwrap();
        let group = Arc::new(GroupCommit::start(pool.clone(), 8).unwrap());
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let group = group.clone();
                tokio::spawn(async move {
                    group
                        .run(move |conn: &mut Conn| {
                            if i == 7 {
                                // Writes, then fails: none of its writes may stay.
                                insert(conn, "extra")?;
                                insert(conn, "row 3")?;
                            }
                            insert(conn, &format!("row {i}"))
                        })
                        .await
                })
            })
            .collect();
        let mut failed = Vec::new();
        for (i, task) in tasks.into_iter().enumerate() {
            if let Err(error) = task.await.unwrap() {
                failed.push((i, error.is_unique_violation()));
            }
        }
        // Work runs in the order it was queued: "row 3" was in before number 7 tried it.
        assert_eq!(failed, [(7, true)], "only the duplicate fails");
        let rows: Vec<Count> = with_conn!(&mut conn, |c| diesel::sql_query(
            "SELECT COUNT(*) AS n FROM t WHERE v <> 'extra' UNION ALL \
             SELECT COUNT(*) AS n FROM t WHERE v = 'extra'"
        )
        .load(c))
        .unwrap();
        assert_eq!(rows[0].n, 19);
        assert_eq!(rows[1].n, 0, "the failed work left nothing behind");
    }
}
