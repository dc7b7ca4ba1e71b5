//! Work on several threads, results in order: what loads and replays a suite on every core
//! while every report, error and progress step comes out exactly as on one thread.
//!
//! [`in_order`] computes `work(i)` for `i` in `0..n` on `jobs` threads (the calling
//! thread one of them) and hands each result to `take` on the calling thread, strictly in
//! order of `i`: `take(k, …)` is called only after `take(0..k)`. At most `window` results
//! are computed ahead of the one `take` waits for, so what waits in memory is bounded
//! however long the list.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Threads a run uses by default: one per core, at most [`MAX_DEFAULT_JOBS`].
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(MAX_DEFAULT_JOBS)
}

/// The most threads [`default_jobs`] gives: past it, the in-order hand-over on the calling
/// thread is the limit, not the cores.
pub const MAX_DEFAULT_JOBS: usize = 8;

/// How many results may wait ahead of the one being handed over, per thread.
pub const WINDOW_PER_JOB: usize = 16;

/// What the threads share.
struct Shared<T> {
    /// The next index no thread has claimed.
    next: usize,
    /// How many results `take` has had (`0..taken`).
    taken: usize,
    /// Results of `taken..`, computed or not yet (`None`).
    ready: VecDeque<Option<T>>,
    /// No more work is to start: `take` failed, or a thread panicked.
    stop: bool,
    /// A thread panicked in `work`.
    panicked: bool,
    /// The calling thread waits on `done`: a result or a stop must wake it.
    taker_waits: bool,
    /// Worker threads waiting on `room`.
    room_waiters: usize,
}

/// A pool's lock and its two signals.
struct Pool<T> {
    shared: Mutex<Shared<T>>,
    /// A result came in, or a thread stopped.
    done: Condvar,
    /// Room opened in the window, or the run stops.
    room: Condvar,
}

impl<T> Pool<T> {
    fn lock(&self) -> MutexGuard<'_, Shared<T>> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records result `i`.
    fn put(&self, i: usize, value: T) {
        let mut s = self.lock();
        let slot = i - s.taken;
        if s.ready.len() <= slot {
            s.ready.resize_with(slot + 1, || None);
        }
        s.ready[slot] = Some(value);
        // A notification is a system call whether or not anyone waits: made only when the
        // calling thread waits (it set the flag under this lock, before waiting).
        let wake = s.taker_waits;
        drop(s);
        if wake {
            self.done.notify_one();
        }
    }

    /// Hands result `taken` over: room opens for one more item in the window; a waiting
    /// worker is woken only if there is one.
    fn took(&self, mut s: MutexGuard<'_, Shared<T>>) {
        s.ready.pop_front();
        s.taken += 1;
        let wake = s.room_waiters > 0;
        drop(s);
        if wake {
            self.room.notify_all();
        }
    }
}

/// Marks the run stopped if a worker thread unwinds, so the calling thread does not wait
/// for a result that will never come.
struct PanicGuard<'a, T>(&'a Pool<T>);

impl<T> Drop for PanicGuard<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut s = self.0.lock();
            s.stop = true;
            s.panicked = true;
            drop(s);
            self.0.done.notify_all();
            self.0.room.notify_all();
        }
    }
}

/// Runs `work(state, i)` for every `i` in `0..n` on `jobs` threads, each with its own
/// `state` made by `init`, and hands every result to `take(i, result)` on the calling
/// thread in order of `i`. The first error of `take` stops the run: no further `work`
/// starts, the threads finish what they hold, and the error is returned. With `jobs` ≤ 1
/// (or fewer than two items) everything runs on the calling thread, one after the other.
/// A panic in `work` on another thread is raised again on the calling thread.
pub fn in_order<S, T, E>(
    n: usize,
    jobs: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) -> T + Sync,
    mut take: impl FnMut(usize, T) -> Result<(), E>,
) -> Result<(), E>
where
    T: Send,
{
    let jobs = jobs.min(n);
    if jobs <= 1 {
        let mut state = init();
        for i in 0..n {
            take(i, work(&mut state, i))?;
        }
        return Ok(());
    }
    let window = jobs * WINDOW_PER_JOB;
    let pool = Pool {
        shared: Mutex::new(Shared {
            next: 0,
            taken: 0,
            ready: VecDeque::with_capacity(window),
            stop: false,
            panicked: false,
            taker_waits: false,
            room_waiters: 0,
        }),
        done: Condvar::new(),
        room: Condvar::new(),
    };
    let (init, work, pool) = (&init, &work, &pool);
    std::thread::scope(|scope| {
        for _ in 1..jobs {
            scope.spawn(move || {
                let _guard = PanicGuard(pool);
                let mut state = init();
                loop {
                    let i = {
                        let mut s = pool.lock();
                        while !s.stop && s.next < n && s.next >= s.taken + window {
                            s.room_waiters += 1;
                            s = pool.room.wait(s).unwrap_or_else(|e| e.into_inner());
                            s.room_waiters -= 1;
                        }
                        if s.stop || s.next >= n {
                            break;
                        }
                        s.next += 1;
                        s.next - 1
                    };
                    let value = work(&mut state, i);
                    pool.put(i, value);
                }
            });
        }
        // The calling thread hands results over in order; while the next one is being
        // computed elsewhere, it computes one further on itself (within the window).
        let mut state: Option<S> = None;
        let mut result = Ok(());
        for k in 0..n {
            let value = loop {
                let mut s = pool.lock();
                if s.panicked {
                    drop(s);
                    panic!("a worker thread panicked");
                }
                if let Some(v) = s.ready.front_mut().and_then(Option::take) {
                    pool.took(s);
                    break Some(v);
                }
                if s.next < n && s.next < s.taken + window {
                    let i = s.next;
                    s.next += 1;
                    drop(s);
                    let value = work(state.get_or_insert_with(init), i);
                    if i == k {
                        pool.took(pool.lock());
                        break Some(value);
                    }
                    pool.put(i, value);
                    continue;
                }
                s.taker_waits = true;
                let mut s = pool.done.wait(s).unwrap_or_else(|e| e.into_inner());
                s.taker_waits = false;
            };
            let Some(value) = value else { break };
            if let Err(e) = take(k, value) {
                result = Err(e);
                break;
            }
        }
        let mut s = pool.lock();
        s.stop = true;
        drop(s);
        pool.room.notify_all();
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_every_result_over_in_order_whatever_thread_computed_it() {
        // Arrange: items that take longer the earlier they come, so later ones finish first.
        let n = 500;
        let mut seen = Vec::new();

        // Act
        let r: Result<(), ()> = in_order(
            n,
            4,
            || (),
            |(), i| {
                if i % 7 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                i * 3
            },
            |i, v| {
                seen.push((i, v));
                Ok(())
            },
        );

        // Assert
        assert!(r.is_ok());
        let want: Vec<(usize, usize)> = (0..n).map(|i| (i, i * 3)).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn stops_at_the_first_error_of_take_and_returns_it() {
        // Arrange
        let started = std::sync::atomic::AtomicUsize::new(0);
        let mut taken = Vec::new();

        // Act
        let r = in_order(
            10_000,
            3,
            || (),
            |(), i| {
                started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                i
            },
            |i, _| {
                taken.push(i);
                if i == 41 {
                    Err(format!("stop at {i}"))
                } else {
                    Ok(())
                }
            },
        );

        // Assert: nothing after the error is handed over, and work stops within the window.
        assert_eq!(r, Err("stop at 41".to_owned()));
        assert_eq!(taken, (0..=41).collect::<Vec<_>>());
        let started = started.into_inner();
        assert!(started <= 42 + 3 * WINDOW_PER_JOB + 3, "{started} started");
    }

    #[test]
    fn keeps_each_thread_state_to_itself() {
        // Arrange: each thread counts the items it computed in its own state.
        let mut total = 0;

        // Act
        let r: Result<(), ()> = in_order(
            1_000,
            4,
            || 0usize,
            |count, _| {
                *count += 1;
                *count
            },
            |_, c| {
                assert!(c >= 1);
                total += 1;
                Ok(())
            },
        );

        // Assert
        assert!(r.is_ok());
        assert_eq!(total, 1_000);
    }

    #[test]
    #[should_panic(expected = "a worker thread panicked")]
    fn raises_a_worker_panic_on_the_calling_thread() {
        let caller = std::thread::current().id();
        let _: Result<(), ()> = in_order(
            1_000,
            2,
            || (),
            |(), i| {
                std::thread::sleep(std::time::Duration::from_micros(100));
                // Only the spawned thread panics.
                assert!(std::thread::current().id() == caller, "boom");
                i
            },
            |_, _| Ok(()),
        );
    }
}
