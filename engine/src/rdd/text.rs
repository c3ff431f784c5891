//! Text input: `text_file` and `whole_text_files`, split as Hadoop's `TextInputFormat` splits files.
//!
//! A path is a file, a directory (its visible files: names starting with `_` or `.` are skipped, as Hadoop skips
//! `_SUCCESS`) or a glob. Each plain file is cut into as many byte ranges as Hadoop cuts with splits of
//! `min(total / min_partitions, 32 MiB)`, but of equal sizes; a split reads the lines that *start* inside it (the
//! first partial line belongs to the previous split), so every line is read exactly once. Gzip files (`.gz`) cannot
//! be split and are one partition each.

use super::nodes::slice_bounds;
use super::{BoxIter, Dependency, RUN, RddBase, RddCompute, RddMeta, Runs};
use crate::error::{Error, Result};
use crate::scheduler::TaskContext;
use crate::scheduler::task::add;
use crate::session::Session;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::panic::Location;
use std::path::{Path, PathBuf};

/// Hadoop's local file system block size (`fs.local.block.size`), the largest split.
const BLOCK_SIZE: u64 = 32 << 20;
/// Hadoop's `SPLIT_SLOP`: the last split may be up to 10% larger than the others.
const SPLIT_SLOP: f64 = 1.1;

/// One file range a partition reads.
#[derive(Debug, Clone)]
struct FileSplit {
    path: PathBuf,
    start: u64,
    /// Exclusive end; lines starting at or before `end` belong to this split.
    end: u64,
    gzip: bool,
}

impl FileSplit {
    /// Byte range `index` of `count` equal ones, `None` for an empty one. Pieces follow the same rule as splits
    /// (a line belongs to the range it starts in), so together they read the split's lines exactly once. A gzip
    /// file, or a split of fewer bytes than pieces, is one piece: the first.
    fn piece(&self, (index, count): (usize, usize)) -> Option<FileSplit> {
        let len = self.end - self.start;
        if self.gzip || count <= 1 || len < count as u64 {
            return (index == 0).then(|| self.clone());
        }
        let at = |i: usize| self.start + len * i as u64 / count as u64;
        Some(FileSplit { path: self.path.clone(), start: at(index), end: at(index + 1), gzip: false })
    }
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('_') || n.starts_with('.'))
}

/// The input files of a path, directory or glob, sorted by path.
pub(crate) fn list_input_files(path: &str) -> Result<Vec<PathBuf>> {
    let p = Path::new(path);
    let mut files = Vec::new();
    if path.contains(['*', '?', '[']) {
        let entries =
            glob::glob(path).map_err(|e| Error::param("path", format!("`{path}` is not a valid glob: {e}")))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("listing", e.path().to_path_buf(), std::io::Error::from(e)))?;
            if entry.is_file() && !is_hidden(&entry) {
                files.push(entry);
            } else if entry.is_dir() {
                files.extend(list_dir(&entry)?);
            }
        }
    } else if p.is_dir() {
        files = list_dir(p)?;
    } else if p.is_file() {
        files.push(p.to_path_buf());
    }
    if files.is_empty() && !p.is_dir() {
        return Err(Error::PathNotFound { path: p.to_path_buf() });
    }
    files.sort();
    Ok(files)
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("listing", dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
        let path = entry.path();
        if path.is_file() && !is_hidden(&path) {
            files.push(path);
        }
    }
    Ok(files)
}

fn file_len(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path).map_err(|e| Error::io("reading", path, e))?.len())
}

/// How many splits Hadoop's `FileInputFormat.getSplits` cuts a file of `len` bytes into.
fn split_count(len: u64, split_size: u64) -> u64 {
    let mut remaining = len;
    let mut count = 0;
    while remaining as f64 / split_size as f64 > SPLIT_SLOP {
        remaining -= split_size;
        count += 1;
    }
    count + u64::from(remaining > 0)
}

/// Hadoop's `FileInputFormat.getSplits` for local files: as many splits, but of equal sizes. Hadoop's last split
/// is whatever is left (7 MB after five 32 MB blocks, say), and on two cores that leaves one core idle for most of
/// a block while the other reads its third.
fn compute_splits(files: &[PathBuf], min_partitions: usize) -> Result<Vec<FileSplit>> {
    let mut lens = Vec::with_capacity(files.len());
    for f in files {
        lens.push(file_len(f)?);
    }
    let total: u64 = lens.iter().sum();
    let goal = total / min_partitions.max(1) as u64;
    let split_size = goal.clamp(1, BLOCK_SIZE);
    let mut splits = Vec::new();
    for (path, &len) in files.iter().zip(&lens) {
        let gzip = path.extension().is_some_and(|e| e == "gz");
        if gzip || len == 0 {
            splits.push(FileSplit { path: path.clone(), start: 0, end: len, gzip });
            continue;
        }
        let count = split_count(len, split_size);
        let size = len.div_ceil(count);
        for i in 0..count {
            let start = i * size;
            splits.push(FileSplit { path: path.clone(), start, end: (start + size).min(len), gzip });
        }
    }
    Ok(splits)
}

/// Bytes read from a file at a time.
const CHUNK: usize = 1 << 20;

/// Lines of a split. Reads large chunks and validates each chunk's complete lines as UTF-8 at once, then cuts
/// lines lazily with `memchr` (one copy per line, into its `String`). A read error fails the task and ends the
/// stream.
struct LineReader {
    source: Box<dyn Read + Send>,
    /// Raw bytes read but not yet moved into `text`: at most one partial line between chunks.
    raw: Vec<u8>,
    eof: bool,
    /// Complete lines being returned, and the offset of the next one.
    text: String,
    cursor: usize,
    /// Lines of a chunk that was not valid UTF-8, each with the bytes it took (replacement characters change
    /// lengths, so positions come from the raw bytes).
    lossy: std::vec::IntoIter<(String, usize)>,
    /// The line under way at a split's start belongs to the previous split.
    skip_first: bool,
    /// Whether the bytes of that skipped line count as read.
    count_skipped: bool,
    /// File offset of the next line's first byte (plain files only).
    pos: u64,
    end: u64,
    bounded: bool,
    path: PathBuf,
    tc: TaskContext,
    lines: u64,
    bytes: u64,
    done: bool,
}

/// A line without its `\n` or `\r\n` terminator.
fn trim_terminator(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Where the line starting at `start` ends, its terminator included.
fn line_stop(bytes: &[u8], start: usize) -> usize {
    memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1)
}

impl LineReader {
    fn open(split: &FileSplit, tc: &TaskContext) -> Result<Self> {
        let piece = split.piece(tc.piece());
        let split = piece.as_ref().unwrap_or(split);
        let mut file = File::open(&split.path).map_err(|e| Error::io("reading", &split.path, e))?;
        let source: Box<dyn Read + Send> = if split.gzip {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        } else {
            file.seek(SeekFrom::Start(split.start)).map_err(|e| Error::io("reading", &split.path, e))?;
            Box::new(file)
        };
        Ok(LineReader {
            source,
            raw: Vec::with_capacity(CHUNK),
            eof: false,
            text: String::new(),
            cursor: 0,
            lossy: Vec::new().into_iter(),
            skip_first: split.start > 0 && !split.gzip,
            // The line a later piece skips was counted by the piece before it (a split's is counted twice, as by
            // Hadoop's reader).
            count_skipped: tc.piece().0 == 0,
            pos: split.start,
            end: split.end,
            bounded: !split.gzip,
            path: split.path.clone(),
            tc: tc.clone(),
            lines: 0,
            bytes: 0,
            done: piece.is_none(),
        })
    }

    /// Moves the next run of complete lines from `raw` into `text` (or `lossy`); `false` at the end of input.
    fn next_region(&mut self) -> std::io::Result<bool> {
        let region_end = loop {
            if let Some(i) = memchr::memrchr(b'\n', &self.raw) {
                break i + 1;
            }
            if self.eof {
                break self.raw.len();
            }
            // Read a chunk, or more for a line longer than one.
            let want = (CHUNK.max(self.raw.len() * 2) - self.raw.len()) as u64;
            let n = (&mut self.source).take(want).read_to_end(&mut self.raw)?;
            self.eof = n == 0;
        };
        if region_end == 0 {
            return Ok(false);
        }
        // The consumed region's buffer takes the rest: two buffers take turns, where a fresh one per region
        // cost a page fault per 4 KB (the kernel zeroes new pages).
        let mut rest = std::mem::take(&mut self.text).into_bytes();
        rest.clear();
        rest.reserve(CHUNK);
        rest.extend_from_slice(&self.raw[region_end..]);
        self.cursor = 0;
        let mut region = std::mem::replace(&mut self.raw, rest);
        region.truncate(region_end);
        match String::from_utf8(region) {
            Ok(text) => self.text = text,
            Err(e) => {
                let bytes = e.into_bytes();
                let mut lines = Vec::new();
                let mut start = 0;
                while start < bytes.len() {
                    let stop = line_stop(&bytes, start);
                    lines.push((
                        String::from_utf8_lossy(trim_terminator(&bytes[start..stop])).into_owned(),
                        stop - start,
                    ));
                    start = stop;
                }
                self.lossy = lines.into_iter();
            }
        }
        Ok(true)
    }

    /// Cuts the line at `cursor` out of `text` (there must be one), with the bytes it took.
    fn cut_line(&mut self) -> (String, usize) {
        let bytes = self.text.as_bytes();
        let stop = line_stop(bytes, self.cursor);
        let len = trim_terminator(&bytes[self.cursor..stop]).len();
        // `\n` offsets are character boundaries, so the slice is always there.
        let line = self.text.get(self.cursor..self.cursor + len).unwrap_or_default().to_owned();
        let taken = stop - self.cursor;
        self.cursor = stop;
        (line, taken)
    }

    /// The next line with the bytes it took, from `text` or `lossy`.
    fn next_line(&mut self) -> std::io::Result<Option<(String, usize)>> {
        loop {
            if let Some(line) = self.lossy.next() {
                return Ok(Some(line));
            }
            if self.cursor < self.text.len() {
                return Ok(Some(self.cut_line()));
            }
            if !self.next_region()? {
                return Ok(None);
            }
        }
    }

    /// The next run of up to [`RUN`] lines. Lines of the current region are cut in one loop (what `next` does
    /// line by line, without its per-line checks); anything else (a region's end, the first line of a split, a
    /// lossy region) goes through `next`.
    fn next_run(&mut self) -> Option<Vec<String>> {
        let mut run = Vec::with_capacity(RUN);
        while run.len() < RUN {
            let fast = !self.skip_first && self.lossy.len() == 0;
            while fast && run.len() < RUN && self.cursor < self.text.len() && (!self.bounded || self.pos <= self.end) {
                let (line, taken) = self.cut_line();
                run.push(line);
                self.pos += taken as u64;
                self.bytes += taken as u64;
                self.lines += 1;
            }
            if run.len() == RUN {
                break;
            }
            match self.next() {
                Some(line) => run.push(line),
                None => break,
            }
        }
        (!run.is_empty()).then_some(run)
    }
}

impl Iterator for LineReader {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        // A split reads the lines that start at or before its end.
        while !self.done && (!self.bounded || self.pos <= self.end) {
            match self.next_line() {
                Ok(Some((line, taken))) => {
                    self.pos += taken as u64;
                    let skipped = std::mem::take(&mut self.skip_first);
                    if !skipped || self.count_skipped {
                        self.bytes += taken as u64;
                    }
                    if skipped {
                        continue;
                    }
                    self.lines += 1;
                    return Some(line);
                }
                Ok(None) => self.done = true,
                Err(e) => {
                    self.done = true;
                    let what = if self.bounded { "reading" } else { "decompressing gzip file" };
                    self.tc.fail(Error::io(what, &self.path, e));
                }
            }
        }
        None
    }
}

impl Drop for LineReader {
    fn drop(&mut self) {
        add(&self.tc.counters().records_read, self.lines);
        add(&self.tc.counters().bytes_read, self.bytes);
    }
}

/// The source of `text_file` (Spark shows a `HadoopRDD` here).
pub(crate) struct TextFile {
    meta: RddMeta,
    splits: Vec<FileSplit>,
}

impl RddBase for TextFile {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }
    fn num_partitions(&self) -> usize {
        self.splits.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn piece_bytes(&self, split: usize) -> Option<u64> {
        let split = self.splits.get(split)?;
        (!split.gzip && !self.meta.storage_level().is_valid()).then(|| split.end - split.start)
    }
}

impl RddCompute<String> for TextFile {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<String>> {
        Ok(Box::new(LineReader::open(&self.splits[split], tc)?))
    }

    fn compute_runs(&self, split: usize, tc: &TaskContext) -> Result<Runs<String>> {
        let mut reader = LineReader::open(&self.splits[split], tc)?;
        Ok(Box::new(std::iter::from_fn(move || reader.next_run())))
    }
}

/// The source of `whole_text_files`: one `(path, content)` record per file.
pub(crate) struct WholeTextFiles {
    meta: RddMeta,
    groups: Vec<Vec<PathBuf>>,
}

impl RddBase for WholeTextFiles {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }
    fn num_partitions(&self) -> usize {
        self.groups.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
}

fn read_whole(path: &Path) -> Result<(String, u64)> {
    let file = File::open(path).map_err(|e| Error::io("reading", path, e))?;
    let mut bytes = Vec::new();
    let read = if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::MultiGzDecoder::new(file).read_to_end(&mut bytes)
    } else {
        BufReader::new(file).read_to_end(&mut bytes)
    };
    read.map_err(|e| Error::io("reading", path, e))?;
    let n = bytes.len() as u64;
    let text = String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok((text, n))
}

impl RddCompute<(String, String)> for WholeTextFiles {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<(String, String)>> {
        let mut out = Vec::with_capacity(self.groups[split].len());
        for path in &self.groups[split] {
            let (text, n) = read_whole(path)?;
            add(&tc.counters().bytes_read, n);
            add(&tc.counters().records_read, 1);
            let abs = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            out.push((format!("file:{}", abs.display()), text));
        }
        Ok(Box::new(out.into_iter()))
    }
}

impl Session {
    /// The lines of a text file, directory or glob (gzip files included), in at least `min_partitions`
    /// partitions for splittable files (Spark's `sc.textFile`). Missing paths are an error here, not in a task.
    ///
    /// Partitions are Hadoop's splits, so their number is Spark's. One difference: when a shuffle's map stage has
    /// tasks that do not divide evenly among the threads (5 splits on 2 threads), a task reading a large plain-text
    /// split through record-by-record steps (`map`, `flat_map`, `filter`, `key_by`, `map_values`…) runs as one
    /// byte range per thread, so its closures may run on two threads at once (Spark's closures must not rely on
    /// running one record at a time; accumulators still count once). Only shuffles whose answer does not depend on
    /// it do so: `reduce_by_key` (whose function must be associative and commutative; `f64` sums may differ in the
    /// last bits, as they do in Spark between partitionings), `distinct`, `group_by_key`, `sort_by` and
    /// `partition_by`, not `fold_by_key`, `aggregate_by_key` or `combine_by_key`, whose zero value Spark applies
    /// once per key and partition.
    #[track_caller]
    pub fn text_file(&self, path: impl AsRef<str>, min_partitions: usize) -> Result<super::Rdd<String>> {
        self.text_file_at(path.as_ref(), min_partitions, Location::caller())
    }

    /// `text_file` with Spark's default minimum of `min(default_parallelism, 2)` partitions.
    #[track_caller]
    pub fn text_file_default(&self, path: impl AsRef<str>) -> Result<super::Rdd<String>> {
        self.text_file_at(path.as_ref(), self.default_min_partitions(), Location::caller())
    }

    fn text_file_at(&self, path: &str, min_partitions: usize, site: &Location<'_>) -> Result<super::Rdd<String>> {
        let files = list_input_files(path)?;
        let splits = compute_splits(&files, min_partitions)?;
        let meta = RddMeta::new(&self.ctx, "TextFileRDD", "text_file", site).with_label(path);
        Ok(self.rdd_from(TextFile { meta, splits }))
    }

    /// Every file of a directory or glob as one `("file:/absolute/path", content)` record (Spark's
    /// `sc.wholeTextFiles`), files grouped into at most `min_partitions` partitions.
    #[track_caller]
    pub fn whole_text_files(
        &self,
        path: impl AsRef<str>,
        min_partitions: usize,
    ) -> Result<super::Rdd<(String, String)>> {
        let path = path.as_ref();
        let files = list_input_files(path)?;
        let groups = slice_bounds(files.len(), min_partitions.max(1).min(files.len().max(1)))
            .into_iter()
            .map(|r| files[r].to_vec())
            .collect();
        let meta = RddMeta::new(&self.ctx, "WholeTextFileRDD", "whole_text_files", Location::caller()).with_label(path);
        Ok(self.rdd_from(WholeTextFiles { meta, groups }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    fn sizes(splits: &[FileSplit]) -> Vec<u64> {
        splits.iter().map(|s| s.end - s.start).collect()
    }

    #[test]
    fn splits_are_as_many_as_hadoop_makes_and_equal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("a.txt");
        std::fs::write(&f, "x\n".repeat(1000)).expect("write");
        // 2000 bytes, min 3 partitions: split size 666, Hadoop's splits 666/666/668 (the last within SPLIT_SLOP).
        assert_eq!(sizes(&compute_splits(std::slice::from_ref(&f), 3).expect("splits")), vec![667, 667, 666]);
        // Min 2: 1000/1000. Min 1: one split of 2000.
        assert_eq!(sizes(&compute_splits(std::slice::from_ref(&f), 2).expect("splits")), vec![1000, 1000]);
        assert_eq!(sizes(&compute_splits(&[f], 1).expect("splits")), vec![2000]);
    }

    /// The lines a reader of `split` returns, as `tc`'s piece.
    fn read(split: &FileSplit, tc: &TaskContext) -> Vec<String> {
        LineReader::open(split, tc).expect("open").collect()
    }

    #[test]
    fn pieces_of_a_split_read_its_lines_once() {
        let session = Session::builder().master("local[1]").build().expect("session");
        let task = || {
            let job = Arc::new(crate::scheduler::task::JobState {
                job_id: 0,
                abort: AtomicBool::new(false),
                epoch: session.ctx.cancel_epoch(),
            });
            TaskContext::new(session.ctx.clone(), job, 0, 0)
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("a.txt");
        // Lines of 10 bytes (pieces of 100 bytes in 2 start exactly at a line), a CRLF line, and a line longer
        // than a piece.
        let mut text: String = (0..10).map(|i| format!("line {i:03}\n")).collect();
        text.push_str("crlf line\r\n");
        text.push_str(&"x".repeat(60));
        text.push_str("\nlast");
        std::fs::write(&f, &text).expect("write");
        for min_partitions in [1, 2, 3] {
            for split in compute_splits(std::slice::from_ref(&f), min_partitions).expect("splits") {
                let whole_task = task();
                let whole = read(&split, &whole_task);
                // 500: more pieces than the split has bytes, so all but the first are empty.
                for count in [2, 3, 7, 40, 500] {
                    let pieces_task = task();
                    let pieces: Vec<String> =
                        (0..count).flat_map(|i| read(&split, &pieces_task.piece_of(i, count))).collect();
                    assert_eq!(pieces, whole, "{count} pieces of {split:?}");
                    assert_eq!(
                        pieces_task.metrics().bytes_read,
                        whole_task.metrics().bytes_read,
                        "bytes read by {count} pieces of {split:?}"
                    );
                }
            }
        }
        let tc = task();
        let all: Vec<String> = compute_splits(std::slice::from_ref(&f), 3)
            .expect("splits")
            .iter()
            .flat_map(|s| (0..3).flat_map(|i| read(s, &tc.piece_of(i, 3))).collect::<Vec<_>>())
            .collect();
        assert_eq!(all.len(), 13);
        assert_eq!(all.concat(), text.replace("\r\n", "").replace('\n', ""));
    }

    #[test]
    fn a_short_last_block_is_shared_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("big.txt");
        // 70 MiB (sparse): Hadoop cuts 32 + 32 + 6 MiB; Flint cuts the same 3 splits, 70/3 MiB each.
        std::fs::File::create(&f).and_then(|file| file.set_len(70 << 20)).expect("sparse file");
        let splits = compute_splits(&[f], 2).expect("splits");
        assert_eq!(sizes(&splits), vec![24_466_774, 24_466_774, 24_466_772]);
        assert!(splits.windows(2).all(|w| w[0].end == w[1].start) && splits[2].end == 70 << 20);
    }
}
