//! Atomic output: a write stages its files in a hidden directory next to the target and commits by renaming, so
//! readers never see a partial dataset (used by `save_as_text_file`, `df.write()` and MLlib's model saving).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A directory written atomically: fill [`StagedDir::path`], then [`StagedDir::commit`] renames it into place.
/// Dropped without a commit, the staged files are removed and the target is untouched.
///
/// ```
/// let root = tempfile::tempdir()?;
/// let target = root.path().join("model");
/// let staged = flint_engine::output::StagedDir::new(&target)?;
/// std::fs::write(staged.path().join("part-00000"), "{}")?;
/// assert!(!target.exists());
/// staged.commit(false)?;
/// assert!(target.join("part-00000").is_file() && target.join("_SUCCESS").is_file());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct StagedDir {
    staging: tempfile::TempDir,
    target: PathBuf,
}

impl StagedDir {
    /// Stages a write of `target` in a hidden sibling directory.
    pub fn new(target: impl AsRef<Path>) -> Result<Self> {
        let target = target.as_ref().to_path_buf();
        Ok(StagedDir { staging: staging_dir(&target, "flint")?, target })
    }

    /// Where to write the files.
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Marks the directory complete (`_SUCCESS`) and renames it to the target; an existing target is replaced
    /// when `overwrite` is set (the old one stays readable if the replacement fails) and is an error otherwise.
    pub fn commit(self, overwrite: bool) -> Result<()> {
        let exists = self.target.exists();
        if exists && !overwrite {
            return Err(Error::PathExists { path: self.target });
        }
        let staged = seal(self.staging)?;
        if exists { commit_replace(&staged, &self.target) } else { commit_new(&staged, &self.target) }
    }
}

/// A hidden staging directory next to `target` (created with its parent if needed): `.{name}.{tag}-XXXX`.
pub(crate) fn staging_dir(target: &Path, tag: &str) -> Result<tempfile::TempDir> {
    let name = target
        .file_name()
        .ok_or_else(|| Error::param("path", format!("`{}` has no directory name", target.display())))?
        .to_string_lossy()
        .into_owned();
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
    tempfile::Builder::new()
        .prefix(&format!(".{name}.{tag}-"))
        .tempdir_in(parent)
        .map_err(|e| Error::io("creating", parent, e))
}

/// Marks staged output complete with Spark's `_SUCCESS` file and keeps the directory for a commit.
pub(crate) fn seal(staging: tempfile::TempDir) -> Result<PathBuf> {
    let success = staging.path().join("_SUCCESS");
    std::fs::File::create(&success).map_err(|e| Error::io("writing", &success, e))?;
    Ok(staging.keep())
}

/// Renames sealed output into `target`, which must not exist; the staging directory is removed on failure.
pub(crate) fn commit_new(staged: &Path, target: &Path) -> Result<()> {
    std::fs::rename(staged, target).map_err(|e| {
        let _ = std::fs::remove_dir_all(staged);
        Error::io("renaming output into", target, e)
    })
}

/// Replaces `target` by `staged`: the old dataset is moved aside, the new one renamed in, the old one removed.
pub(crate) fn commit_replace(staged: &Path, target: &Path) -> Result<()> {
    let aside = removing_on_error(staged, sibling(target, "old"))?;
    removing_on_error(staged, std::fs::rename(target, &aside).map_err(|e| Error::io("moving aside", target, e)))?;
    if let Err(e) = std::fs::rename(staged, target) {
        // Put the old dataset back: a failed overwrite leaves the previous version readable.
        let _ = std::fs::rename(&aside, target);
        let _ = std::fs::remove_dir_all(staged);
        return Err(Error::io("renaming output into", target, e));
    }
    let removed = if aside.is_dir() { std::fs::remove_dir_all(&aside) } else { std::fs::remove_file(&aside) };
    removed.map_err(|e| Error::io("removing the previous output", &aside, e))
}

/// Moves every file of `staged` (recursively, keeping partition directories) into `target`, then `_SUCCESS`.
pub(crate) fn commit_append(staged: &Path, target: &Path) -> Result<()> {
    fn walk(from: &Path, to: &Path) -> Result<()> {
        std::fs::create_dir_all(to).map_err(|e| Error::io("creating", to, e))?;
        for entry in std::fs::read_dir(from).map_err(|e| Error::io("listing", from, e))? {
            let entry = entry.map_err(|e| Error::io("listing", from, e))?;
            let dest = to.join(entry.file_name());
            if entry.path().is_dir() {
                walk(&entry.path(), &dest)?;
            } else if entry.file_name() != "_SUCCESS" {
                std::fs::rename(entry.path(), &dest).map_err(|e| Error::io("moving output into", &dest, e))?;
            }
        }
        Ok(())
    }
    removing_on_error(staged, walk(staged, target))?;
    let success = target.join("_SUCCESS");
    std::fs::File::create(&success).map_err(|e| Error::io("writing", &success, e))?;
    std::fs::remove_dir_all(staged).map_err(|e| Error::io("removing", staged, e))
}

fn sibling(target: &Path, tag: &str) -> Result<PathBuf> {
    // Only the unique name is wanted: the directory itself is replaced by the renamed dataset.
    let path = staging_dir(target, tag)?.keep();
    std::fs::remove_dir(&path).map_err(|e| Error::io("preparing", &path, e))?;
    Ok(path)
}

/// Removes the staging directory when a commit step failed, passing the result through.
fn removing_on_error<T>(staged: &Path, result: Result<T>) -> Result<T> {
    if result.is_err() {
        let _ = std::fs::remove_dir_all(staged);
    }
    result
}
