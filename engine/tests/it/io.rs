//! Text input: files, directories, globs, gzip, splitting, line endings, and whole files.

use crate::{TestResult, logged_session, session, strings, total_metrics};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::Path;

/// Writes `content` to `dir/name` and returns the path as the string `text_file` takes.
fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> TestResult<String> {
    let path = dir.join(name);
    std::fs::write(&path, content)?;
    Ok(path.to_string_lossy().into_owned())
}

fn gzip(text: &str) -> TestResult<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(text.as_bytes())?;
    Ok(encoder.finish()?)
}

/// 10,001 numbered lines of lengths 6 to 66.
fn numbered_lines() -> Vec<String> {
    (0..=10_000).map(|i| format!("{i:05}{}", "x".repeat((i * 7919) % 61))).collect()
}

#[test]
fn text_file_reads_a_file() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let path = write(dir.path(), "a.txt", "alpha\nbeta\n\ngamma")?;
    let rdd = s.text_file(&path, 1)?;
    // Hadoop: an empty line is a record; the last line needs no newline.
    assert_eq!(rdd.collect()?, strings(&["alpha", "beta", "", "gamma"]));
    assert_eq!(s.text_file_default(&path)?.count()?, 4);
    Ok(())
}

#[test]
fn text_file_reads_a_directory_skipping_hidden_files() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    write(dir.path(), "part-00001", "c\nd\n")?;
    write(dir.path(), "part-00000", "a\nb\n")?;
    write(dir.path(), "_SUCCESS", "")?;
    write(dir.path(), ".part-00000.crc", "checksum")?;
    write(dir.path(), "_temporary", "junk\n")?;
    // Hadoop's hidden-file filter skips names starting with "_" or "."; files are read in name order.
    assert_eq!(s.text_file(dir.path().to_string_lossy(), 2)?.collect()?, strings(&["a", "b", "c", "d"]));
    Ok(())
}

#[test]
fn text_file_reads_a_glob() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    write(dir.path(), "one.txt", "1\n")?;
    write(dir.path(), "two.txt", "2\n")?;
    write(dir.path(), "three.csv", "3\n")?;
    let pattern = dir.path().join("*.txt").to_string_lossy().into_owned();
    assert_eq!(s.text_file(&pattern, 1)?.collect()?, strings(&["1", "2"]));
    Ok(())
}

#[test]
fn text_file_reads_gzip_in_one_partition() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let text: String = numbered_lines().join("\n");
    let path = write(dir.path(), "lines.txt.gz", gzip(&text)?)?;
    let rdd = s.text_file(&path, 4)?;
    // Hadoop: gzip is not splittable, so min_partitions is ignored for it.
    assert_eq!(rdd.num_partitions(), 1);
    assert_eq!(rdd.collect()?, numbered_lines());
    // Alongside a plain file in a directory.
    write(dir.path(), "more.txt", "tail\n")?;
    let both = s.text_file(dir.path().to_string_lossy(), 1)?.collect()?;
    assert_eq!(both.len(), 10_002);
    assert_eq!(both.last().map(String::as_str), Some("tail"), "files are read in name order");
    Ok(())
}

#[test]
fn min_partitions_splits_read_every_line_once_in_order() -> TestResult {
    let s = session(4);
    let dir = tempfile::tempdir()?;
    let want = numbered_lines();
    let path = write(dir.path(), "numbered.txt", want.join("\n") + "\n")?;
    for min_partitions in [1, 3, 7, 16] {
        let rdd = s.text_file(&path, min_partitions)?;
        assert!(rdd.num_partitions() >= min_partitions, "{} < {min_partitions}", rdd.num_partitions());
        assert_eq!(rdd.collect()?, want, "min_partitions {min_partitions}");
    }
    Ok(())
}

#[test]
fn every_split_boundary_reads_lines_once() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    // Short lines of varying length: across 1..=60 partitions, split ends land on every kind of position
    // (mid-line, on a newline, on a line start).
    let want: Vec<String> = (0..40).map(|i| "y".repeat(i % 5)).collect();
    let path = write(dir.path(), "short.txt", want.join("\n") + "\n")?;
    for min_partitions in 1..=60 {
        assert_eq!(s.text_file(&path, min_partitions)?.collect()?, want, "min_partitions {min_partitions}");
    }
    Ok(())
}

#[test]
fn crlf_line_endings_are_stripped() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let want = numbered_lines();
    let path = write(dir.path(), "dos.txt", want.join("\r\n") + "\r\n")?;
    for min_partitions in [1, 5] {
        assert_eq!(s.text_file(&path, min_partitions)?.collect()?, want, "min_partitions {min_partitions}");
    }
    let path = write(dir.path(), "small.txt", "a\r\nb\r\n")?;
    assert_eq!(s.text_file(&path, 1)?.collect()?, strings(&["a", "b"]));
    Ok(())
}

#[test]
fn empty_files_give_no_lines() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let empty_dir = dir.path().join("nothing");
    std::fs::create_dir(&empty_dir)?;
    // Hadoop: an existing directory without files is an input without splits, not an error.
    assert_eq!(s.text_file(empty_dir.to_string_lossy(), 2)?.count()?, 0);
    let path = write(dir.path(), "empty.txt", "")?;
    let rdd = s.text_file(&path, 3)?;
    // Hadoop's getSplits makes one empty split for a zero-length file.
    assert_eq!(rdd.num_partitions(), 1);
    assert_eq!(rdd.count()?, 0);
    assert!(rdd.is_empty()?);
    write(dir.path(), "full.txt", "x\n")?;
    assert_eq!(s.text_file(dir.path().to_string_lossy(), 2)?.collect()?, strings(&["x"]));
    let empty_gz = write(dir.path(), "empty.gz", gzip("")?)?;
    assert_eq!(s.text_file(&empty_gz, 1)?.count()?, 0);
    Ok(())
}

#[test]
fn whole_text_files_gives_path_and_content() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    write(dir.path(), "a.txt", "first\nfile\n")?;
    write(dir.path(), "b.txt", "second")?;
    write(dir.path(), "c.txt.gz", gzip("third\n")?)?;
    write(dir.path(), "_SUCCESS", "")?;
    let files = s.whole_text_files(dir.path().to_string_lossy(), 2)?;
    assert_eq!(files.num_partitions(), 2);
    let got = crate::sorted(files.collect()?);
    let root = std::path::absolute(dir.path())?;
    // Spark: keys are file URIs ("file:/tmp/…/a.txt"), values the whole (decompressed) content.
    let want: Vec<(String, String)> = [("a.txt", "first\nfile\n"), ("b.txt", "second"), ("c.txt.gz", "third\n")]
        .iter()
        .map(|(name, text)| (format!("file:{}", root.join(name).display()), text.to_string()))
        .collect();
    assert_eq!(got, want);
    assert!(got.iter().all(|(p, _)| p.starts_with("file:/")));
    Ok(())
}

#[test]
fn a_line_longer_than_many_splits_is_read_once() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    // A 2.5 MB line between short ones: at 16 partitions, several splits start and end inside it.
    let want =
        vec!["head".to_string(), "z".repeat(2_500_000), "middle".to_string(), "w".repeat(300_000), "tail".into()];
    let path = write(dir.path(), "long.txt", want.join("\n"))?;
    for min_partitions in [1, 4, 16] {
        assert_eq!(s.text_file(&path, min_partitions)?.collect()?, want, "min_partitions {min_partitions}");
    }
    Ok(())
}

#[test]
fn invalid_utf8_is_replaced_in_its_line_only() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    // Hadoop's Text decodes with replacement: a bad byte becomes U+FFFD and the other lines are untouched.
    let mut bytes = Vec::new();
    let mut want = Vec::new();
    for i in 0..2000 {
        if i % 500 == 7 {
            bytes.extend_from_slice(b"bad \xff\xfe byte\n");
            want.push("bad \u{fffd}\u{fffd} byte".to_string());
        } else {
            let line = format!("line {i} caf\u{e9}");
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
            want.push(line);
        }
    }
    let path = write(dir.path(), "mixed.txt", bytes)?;
    for min_partitions in [1, 3, 8] {
        assert_eq!(s.text_file(&path, min_partitions)?.collect()?, want, "min_partitions {min_partitions}");
    }
    Ok(())
}

#[test]
fn reading_reports_records_and_bytes() -> TestResult {
    let (s, log) = logged_session(2);
    let dir = tempfile::tempdir()?;
    let text = "one\ntwo\nthree\n";
    let path = write(dir.path(), "three.txt", text)?;
    assert_eq!(s.text_file(&path, 1)?.count()?, 3);
    let metrics = total_metrics(&log);
    assert_eq!((metrics.records_read, metrics.bytes_read), (3, text.len() as u64));
    Ok(())
}
