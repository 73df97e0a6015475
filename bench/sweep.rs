//! The escalation sweep: orders whose supplier let the deadline pass, all at once, and the
//! time the server's own background worker takes to move every one of them down its cascade.

use std::time::{Duration, Instant};

use diesel::prelude::*;

use centrale::db::schema::*;
use centrale::with_conn;

use crate::report::Row;
use crate::routed;
use crate::scenarios::{Run, SWEEP_TARGET_S};

impl Run {
    pub fn sweep(&mut self) -> anyhow::Result<()> {
        let count = self.settings.sweep_orders;
        let now = chrono::Utc::now().naive_utc();
        // Offered five hours ago with a four-hour window: due an hour ago, well within the
        // 24-hour promise, so only the escalation sweep has work to do.
        let offered = now - chrono::Duration::hours(5);
        let mut conn = self.pool.get()?;
        let webhooks_before: i64 = with_conn!(&mut conn, |c| webhook_deliveries::table
            .count()
            .get_result(c))?;
        let due = routed::insert(&mut conn, &self.reference, count, offered, 13)?;
        let first = due.first().map(|r| r.order_id).unwrap_or(0);
        let last = due.last().map(|r| r.order_id).unwrap_or(0);
        self.server.reset_peak();
        let started = Instant::now();
        let limit = Duration::from_secs(self.settings.sweep_limit_s);
        let mut left = count as i64;
        while started.elapsed() < limit {
            // Still due: routed with the deadline passed, which the due-orders index finds
            // without reading the orders already moved (their deadline is ahead). Counting
            // tens of thousands of due orders takes the database some 30 ms, so while many are
            // left the harness looks once a second, and closely only near the end.
            left = with_conn!(&mut conn, |c| orders::table
                .filter(orders::status.eq("routed"))
                .filter(orders::response_deadline.le(now))
                .filter(orders::id.between(first, last))
                .count()
                .get_result(c))?;
            if left == 0 {
                break;
            }
            let pause = if left > 5_000 { 1_000 } else { 100 };
            std::thread::sleep(Duration::from_millis(pause));
        }
        let seconds = started.elapsed().as_secs_f64();
        let moved = count as i64 - left;
        // What each moved order must carry: a timed_out and a second offered event, one open
        // assignment (rank 2), and webhook deliveries to suppliers that registered one.
        let timed_out: i64 = with_conn!(&mut conn, |c| order_events::table
            .filter(order_events::order_id.between(first, last))
            .filter(order_events::kind.eq("timed_out"))
            .count()
            .get_result(c))?;
        let second_offers: i64 = with_conn!(&mut conn, |c| order_assignments::table
            .filter(order_assignments::order_id.between(first, last))
            .filter(order_assignments::rank.eq(2))
            .filter(order_assignments::outcome.is_null())
            .count()
            .get_result(c))?;
        let webhooks: i64 = with_conn!(&mut conn, |c| webhook_deliveries::table
            .filter(webhook_deliveries::order_id.between(first, last))
            .count()
            .get_result(c))?;
        let webhooks_total: i64 = with_conn!(&mut conn, |c| webhook_deliveries::table
            .count()
            .get_result(c))?;
        drop(conn);
        // Webhooks: one "withdrawn" to the silent supplier and one "assigned" to the next, for
        // those of them that registered an endpoint.
        let moved_orders: Vec<&routed::Routed> = due.iter().take(moved.max(0) as usize).collect();
        let expected_hooks: i64 = moved_orders
            .iter()
            .map(|r| {
                i64::from(self.webhook_suppliers.contains(&r.supplier_id))
                    + i64::from(self.webhook_suppliers.contains(&r.second_supplier_id))
            })
            .sum();
        let consistent = left > 0
            || (timed_out == count as i64
                && second_offers == count as i64
                && webhooks >= expected_hooks);
        let projected = if moved > 0 {
            seconds * count as f64 / moved as f64
        } else {
            f64::INFINITY
        };
        let mut note = format!(
            "{moved} of {count} moved in {seconds:.1} s; events timed_out {timed_out}, open rank-2 offers {second_offers}, webhook rows {webhooks} (expected >= {expected_hooks}, {} new in all, {} received so far)",
            webhooks_total - webhooks_before,
            self.webhook.received.load(std::sync::atomic::Ordering::Relaxed)
        );
        if left > 0 {
            note.push_str(&format!(
                "; stopped at the {} s limit, projected {projected:.0} s",
                limit.as_secs()
            ));
        }
        let finished = left == 0;
        let row = Row {
            scenario: format!("escalation sweep ({count} due)"),
            rate: Some(moved as f64 / seconds),
            requests: moved as u64,
            errors: u64::from(!consistent),
            ratio: Some(SWEEP_TARGET_S / projected),
            ratio_of: "target".into(),
            peak_rss_mib: self.server.peak_rss_mib(),
            pass: Some(finished && consistent && seconds < SWEEP_TARGET_S),
            target: format!("all moved < {SWEEP_TARGET_S:.0} s"),
            note,
            p50_ms: None,
            p99_ms: None,
        };
        println!("  sweep: {}", row.note);
        self.rows.push(row);
        Ok(())
    }
}
