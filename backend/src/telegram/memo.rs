//! Reads shared by the handlers of one batch of updates.
//!
//! A giveaway announced in a big channel brings a batch of hundreds of presses of the
//! same Join button: without this, each press's handler reads the same giveaway row, one
//! statement each (on SQLite each one a hand-off to the connection's thread and back).
//! A feature asks the batch's [`BatchMemo`] (in [`super::Ctx`]) instead: the first
//! handler reads, the others wait for that read and get a copy. A memo lives as long as
//! its batch (well under a second), so what it hands out is as fresh as a read made
//! when the batch began; writes that must see the row as it is now (the join queue
//! locks it) read it themselves. A failed read is not kept: the next handler tries
//! again.
//!
//! May import: nothing of the crate (it holds values of any type, keyed by a name).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

type Cell = Arc<dyn Any + Send + Sync>;

/// One batch's shared reads: per value type, per key, the first read's value.
#[derive(Default)]
pub struct BatchMemo {
    cells: Mutex<HashMap<(TypeId, String), Cell>>,
}

impl BatchMemo {
    /// The value of type `T` under `key`: read by `read` once per batch, then copied.
    /// Handlers asking at the same time wait for the one read under way; an error is
    /// returned to the handler whose read failed and not kept.
    pub async fn get_or_read<T, E, F, Fut>(&self, key: &str, read: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
            cells
                .entry((TypeId::of::<T>(), key.to_owned()))
                .or_insert_with(|| Arc::new(OnceCell::<T>::new()))
                .clone()
        };
        // The key holds `T`'s type, so the cell under it is always a `OnceCell<T>`.
        match cell.downcast::<OnceCell<T>>() {
            Ok(cell) => cell.get_or_try_init(read).await.cloned(),
            Err(_) => read().await,
        }
    }
}

impl std::fmt::Debug for BatchMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.cells.lock().map(|c| c.len()).unwrap_or(0);
        write!(f, "BatchMemo({n} values)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_read_per_key_and_type_while_the_batch_lasts() {
        let memo = Arc::new(BatchMemo::default());
        let reads = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (memo, reads) = (memo.clone(), reads.clone());
            tasks.push(tokio::spawn(async move {
                memo.get_or_read("g1", || async {
                    reads.fetch_add(1, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    Ok::<_, ()>("row of g1".to_owned())
                })
                .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok("row of g1".to_owned()));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1, "fifty handlers, one read");
        // Another key, and another type under the same key, are reads of their own.
        let other = memo
            .get_or_read("g2", || async { Ok::<_, ()>("row of g2".to_owned()) })
            .await;
        assert_eq!(other, Ok("row of g2".to_owned()));
        let typed = memo.get_or_read("g1", || async { Ok::<_, ()>(7u32) }).await;
        assert_eq!(typed, Ok(7));
    }

    #[tokio::test]
    async fn a_failed_read_is_not_kept() {
        let memo = BatchMemo::default();
        let failed: Result<String, &str> = memo.get_or_read("g", || async { Err("down") }).await;
        assert_eq!(failed, Err("down"));
        let again: Result<String, &str> = memo
            .get_or_read("g", || async { Ok("back".to_owned()) })
            .await;
        assert_eq!(again, Ok("back".to_owned()));
    }
}
