//! Uploaded files: streamed to a temporary file as they arrive (never held in memory),
//! handed to the view as [`FileStorage`] (Werkzeug's name), removed when the last handle
//! goes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, Weak};

use serde::de::Error as _;
use unicode_normalization::UnicodeNormalization;

/// A temporary file, deleted on drop.
#[derive(Debug)]
pub(crate) struct TempUpload {
    id: String,
    pub(crate) path: PathBuf,
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Ok(mut live) = LIVE.lock() {
            live.remove(&self.id);
        }
    }
}

/// The uploads of requests in flight, by id: a `FileStorage` is rebuilt from its id only
/// (the typed form comes through serde), never from a path a client could name.
static LIVE: LazyLock<Mutex<HashMap<String, Weak<TempUpload>>>> = LazyLock::new(Mutex::default);

impl TempUpload {
    /// A new empty file in the system's temporary folder, readable by this user only,
    /// and open for writing (blocking: call it on a blocking thread). The file and its
    /// handle come into being together, so a cancelled request leaves nothing behind.
    pub(crate) fn create() -> std::io::Result<(String, Arc<Self>, std::fs::File)> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let path = std::env::temp_dir().join(format!("flask-upload-{id}"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path)?;
        let upload = Arc::new(TempUpload {
            id: id.clone(),
            path,
        });
        if let Ok(mut live) = LIVE.lock() {
            live.insert(id.clone(), Arc::downgrade(&upload));
        }
        Ok((id, upload, file))
    }
}

/// An uploaded file (Werkzeug's `FileStorage`): its name and type as the browser sent
/// them, its size, and its bytes in a temporary file that is deleted once the request is
/// done with it. Save it with [`save`](Self::save) to keep it.
///
/// `filename` is what the client said: never use it as a path; [`secure_filename`] it
/// first, or better, name the file yourself.
#[derive(Clone)]
pub struct FileStorage {
    id: String,
    filename: Option<String>,
    content_type: Option<String>,
    size: u64,
    file: Arc<TempUpload>,
}

impl std::fmt::Debug for FileStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStorage")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .finish()
    }
}

impl PartialEq for FileStorage {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl FileStorage {
    pub(crate) fn new(
        id: String,
        file: Arc<TempUpload>,
        filename: Option<String>,
        content_type: Option<String>,
        size: u64,
    ) -> Self {
        FileStorage {
            id,
            filename,
            content_type,
            size,
            file,
        }
    }

    /// The file's name as the browser sent it (untrusted).
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// [`secure_filename`] of the sent name (empty when nothing safe is left).
    pub fn secure_filename(&self) -> String {
        self.filename
            .as_deref()
            .map(secure_filename)
            .unwrap_or_default()
    }

    /// The `Content-Type` the browser gave it (untrusted too).
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Its size in bytes.
    pub fn len(&self) -> u64 {
        self.size
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The extension of the sent name, lower-cased (`"png"`), if it has one.
    pub fn extension(&self) -> Option<String> {
        let name = self.filename.as_deref()?;
        let (_, ext) = name.rsplit_once('.')?;
        (!ext.is_empty()).then(|| ext.to_ascii_lowercase())
    }

    /// Where its bytes are now: a temporary file, deleted after the request.
    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// Its bytes (read into memory: mind the size).
    ///
    /// # Errors
    /// If the temporary file cannot be read.
    pub async fn read(&self) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(&self.file.path).await
    }

    /// Copies it to `dest` (Werkzeug's `save`), creating no folders.
    ///
    /// # Errors
    /// If `dest` cannot be written.
    pub async fn save(&self, dest: impl AsRef<Path>) -> std::io::Result<()> {
        tokio::fs::copy(&self.file.path, dest).await.map(|_| ())
    }
}

/// What serde sees of a `FileStorage` (the typed form is built through serde).
#[derive(serde::Serialize, serde::Deserialize)]
struct Handle {
    #[serde(rename = "$upload")]
    id: String,
    filename: Option<String>,
    content_type: Option<String>,
    size: u64,
}

impl serde::Serialize for FileStorage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Handle {
            id: self.id.clone(),
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for FileStorage {
    /// Only an upload of a request in flight: a `FileStorage` cannot be made up from data.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let h = Handle::deserialize(d)?;
        let file = LIVE
            .lock()
            .ok()
            .and_then(|live| live.get(&h.id).and_then(Weak::upgrade))
            .ok_or_else(|| D::Error::custom("not a file uploaded in this request"))?;
        Ok(FileStorage {
            id: h.id,
            filename: h.filename,
            content_type: h.content_type,
            size: h.size,
            file,
        })
    }
}

/// Names Windows reserves in every folder.
const WINDOWS_DEVICES: [&str; 24] = [
    "CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
    "COM8", "COM9", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Werkzeug's `secure_filename`: a name safe to put in a folder, ASCII letters, digits,
/// `_`, `.` and `-` only, no path. It may be empty: have a fallback.
///
/// ```
/// use flask::secure_filename;
/// assert_eq!(secure_filename("My cool movie.mov"), "My_cool_movie.mov");
/// assert_eq!(secure_filename("../../../etc/passwd"), "etc_passwd");
/// assert_eq!(secure_filename("i contain cool \u{fc}ml\u{e4}uts.txt"), "i_contain_cool_umlauts.txt");
/// assert_eq!(secure_filename("..\\..\\windows\\system32"), "windowssystem32");
/// assert_eq!(secure_filename("con.txt"), "_con.txt");
/// assert_eq!(secure_filename("../"), "");
/// ```
pub fn secure_filename(name: &str) -> String {
    let ascii: String = name.nfkd().filter(char::is_ascii).collect();
    let spaced = ascii.replace('/', " ");
    let joined = spaced.split_whitespace().collect::<Vec<_>>().join("_");
    let kept: String = joined
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .collect();
    let trimmed = kept.trim_matches(|c| c == '.' || c == '_').to_owned();
    let stem = trimmed.split('.').next().unwrap_or("").to_ascii_uppercase();
    if !trimmed.is_empty() && WINDOWS_DEVICES.contains(&stem.as_str()) {
        format!("_{trimmed}")
    } else {
        trimmed
    }
}
