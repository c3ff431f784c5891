//! Output operations: what runs a job every batch.

use super::context::OutputOp;
use super::{DStream, Node, StreamNode, Time, lock};
use crate::error::{Error, Result};
use crate::rdd::{Data, Rdd};
use std::any::Any;
use std::fmt::{Debug, Display};
use std::io::Write;
use std::sync::{Arc, Mutex};

type BatchFn<T> = dyn Fn(&Rdd<T>, Time) -> Result<()> + Send + Sync;

/// Spark's `ForEachDStream`: runs a function on the stream's RDD of every batch that has one.
struct ForEachRdd<T: Data> {
    parent: Arc<Node<T>>,
    f: Box<BatchFn<T>>,
}

impl<T: Data> OutputOp for ForEachRdd<T> {
    fn stream(&self) -> Arc<dyn StreamNode> {
        Arc::clone(&self.parent) as Arc<dyn StreamNode>
    }

    fn run(&self, time_ms: i64) -> Result<()> {
        match self.parent.get_or_compute(time_ms)? {
            Some(rdd) => (self.f)(&rdd, Time(time_ms)),
            None => Ok(()),
        }
    }
}

/// Spark's separator line of `print()`.
const DASHES: &str = "-------------------------------------------";

/// What `print` shows of a batch: Spark's header, the first `num` elements, `...` if there are more.
fn format_batch<T: Debug + 'static>(time: Time, first: &[T], num: usize) -> String {
    let mut out = format!("{DASHES}\nTime: {time}\n{DASHES}\n");
    for x in first.iter().take(num) {
        // Strings print as themselves, as Spark prints them; other values with `Debug`.
        match (x as &dyn Any).downcast_ref::<String>() {
            Some(s) => out.push_str(s),
            None => out.push_str(&format!("{x:?}")),
        }
        out.push('\n');
    }
    if first.len() > num {
        out.push_str("...\n");
    }
    out.push('\n');
    out
}

/// Spark's `rddToFileName`: `prefix-<ms>` or `prefix-<ms>.suffix`.
fn batch_path(prefix: &str, suffix: &str, time: Time) -> String {
    let ms = time.milliseconds();
    if suffix.is_empty() { format!("{prefix}-{ms}") } else { format!("{prefix}-{ms}.{suffix}") }
}

impl<T: Data> DStream<T> {
    /// Runs `f` on the RDD of every batch, with the batch's time (Spark's `foreachRDD`); an error fails the batch.
    pub fn foreach_rdd(&self, f: impl Fn(&Rdd<T>, Time) -> Result<()> + Send + Sync + 'static) -> Result<()> {
        let output = ForEachRdd { parent: Arc::clone(&self.node), f: Box::new(f) };
        self.node.core.add_output(Arc::new(output))
    }

    /// Prints the first ten elements of every batch to standard output, under a header with the batch time, in
    /// Spark's format (Spark's `print()`).
    pub fn print(&self) -> Result<()>
    where
        T: Debug,
    {
        self.print_n(10)
    }

    /// [`print`](Self::print) showing the first `num` elements.
    pub fn print_n(&self, num: usize) -> Result<()>
    where
        T: Debug,
    {
        self.print_to(num, std::io::stdout())
    }

    /// [`print_n`](Self::print_n) writing to `out` instead of standard output (a log file, or a buffer in a test):
    ///
    /// ```text
    /// -------------------------------------------
    /// Time: 1000 ms
    /// -------------------------------------------
    /// ("a", 2)
    /// ("b", 1)
    ///
    /// ```
    ///
    /// A `String` element prints as itself, as in Spark; others print with `Debug`. `...` follows the elements
    /// when the batch has more than `num`.
    pub fn print_to(&self, num: usize, out: impl Write + Send + 'static) -> Result<()>
    where
        T: Debug,
    {
        let out = Mutex::new(out);
        self.foreach_rdd(move |rdd, time| {
            let text = format_batch(time, &rdd.take(num.saturating_add(1))?, num);
            let mut out = lock(&out);
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| Error::Execution(format!("printing the batch of {time}: {e}")))
        })
    }

    /// Saves every batch as a text directory `prefix-<time in ms>.suffix` (no `.suffix` when `suffix` is empty),
    /// with [`Rdd::save_as_text_file`]: one line per element, written atomically (Spark's `saveAsTextFiles`).
    pub fn save_as_text_files(&self, prefix: &str, suffix: &str) -> Result<()>
    where
        T: Display,
    {
        let (prefix, suffix) = (prefix.to_string(), suffix.to_string());
        self.foreach_rdd(move |rdd, time| rdd.save_as_text_file(batch_path(&prefix, &suffix, time)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_shows_at_most_num_elements_then_dots() {
        // Spark's `DStream.print`: dashes, `Time: <ms> ms`, dashes, the elements, `...` if more, a blank line.
        let header = format!("{DASHES}\nTime: 2000 ms\n{DASHES}\n");
        let pairs = [("a".to_string(), 1), ("b".to_string(), 2), ("c".to_string(), 3)];
        assert_eq!(format_batch(Time(2000), &pairs, 2), format!("{header}(\"a\", 1)\n(\"b\", 2)\n...\n\n"));
        let words = ["x".to_string()];
        assert_eq!(format_batch(Time(2000), &words, 10), format!("{header}x\n\n"));
        assert_eq!(format_batch::<i64>(Time(2000), &[], 10), format!("{header}\n"));
        assert_eq!(DASHES.len(), 43);
    }

    #[test]
    fn file_names_follow_spark() {
        assert_eq!(batch_path("out/words", "txt", Time(3000)), "out/words-3000.txt");
        assert_eq!(batch_path("out/words", "", Time(3000)), "out/words-3000");
    }
}
