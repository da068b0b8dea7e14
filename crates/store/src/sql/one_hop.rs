//! Several statements that return nothing, sent to the database as one (issue 12): each
//! statement sent alone is a hand-off to SQLite's worker thread or a round trip to PostgreSQL,
//! and a transaction of many small ones spends more time in those than in SQL. Each statement is
//! still written once; how they are put together is the dialect's: SQLite runs a text of several
//! statements in one call, PostgreSQL takes them as data-modifying `WITH` clauses of one.

use sqlx::QueryBuilder;

use super::{Conn, Db, STATEMENTS_AS_CTES};
use crate::StoreResult;

pub(crate) struct OneHop {
    query: QueryBuilder<Db>,
    statements: usize,
}

impl OneHop {
    pub(crate) fn new() -> OneHop {
        OneHop {
            query: QueryBuilder::new(""),
            statements: 0,
        }
    }

    /// Adds the statement that `write` pushes (no `RETURNING`, no trailing `;`).
    pub(crate) fn add(&mut self, write: impl FnOnce(&mut QueryBuilder<Db>)) {
        let i = self.statements;
        match (STATEMENTS_AS_CTES, i) {
            (true, 0) => self.query.push("WITH s0 AS ("),
            (true, _) => self.query.push(format!(", s{i} AS (")),
            (false, 0) => &mut self.query,
            (false, _) => self.query.push("; "),
        };
        write(&mut self.query);
        if STATEMENTS_AS_CTES {
            self.query.push(")");
        }
        self.statements += 1;
    }

    /// Runs what was added so far and starts again empty (to go on adding after it).
    pub(crate) async fn flush(&mut self, conn: &mut Conn) -> StoreResult<()> {
        std::mem::replace(self, OneHop::new()).execute(conn).await
    }

    /// Runs what was added, in order, inside the caller's transaction.
    pub(crate) async fn execute(mut self, conn: &mut Conn) -> StoreResult<()> {
        if self.statements == 0 {
            return Ok(());
        }
        if STATEMENTS_AS_CTES {
            // The clauses run whether or not the main query reads them.
            self.query.push(" SELECT 1");
        }
        self.query.build().execute(&mut *conn).await?;
        Ok(())
    }
}
